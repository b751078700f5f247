import "server-only";
export {
  listAccounts, getAccount, createAccount, updateAccount, deleteAccount, sealLegacyHeaderValues, publicAccountFields, type PublicAccount,
} from "./store";
export { pickAccounts, servedModels, servedAs, type Candidate } from "./pool";
export { routableAccounts, invalidateRegistry, type RoutableAccount } from "./registry";
export { encryptSecret, decryptSecret } from "@/lib/secrets";
export { createAccountInput, updateAccountInput, routingStrategies, type RoutingStrategy, type RoutingSettings } from "./schemas";
export { testConnection, type ConnectionTestResult } from "./test-connection";
export {
  callStarted, reportSuccess, reportFailure, inFlightCount, clearHealthState, instanceId as healthInstanceId,
  type SuccessOutcome, type AccountStatus,
} from "./health";
export { getRoutingSettings, updateRoutingSettings, loadRoutingSettings } from "./routing-settings";
export { startAccountHealth, writeHealthSnapshot, seedFromCluster, countAccountTokens } from "./snapshots";
export { accountHealthReport, accountHealthDetail, type HealthReport, type AccountHealth, type AccountHealthDetail } from "./health-report";
export { runHealthAction, type HealthActionResult } from "./health-actions";
export { probeNow, type ProbeResult } from "./probes";
