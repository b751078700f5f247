import "server-only";
export {
  listAccounts, getAccount, createAccount, updateAccount, deleteAccount, sealLegacyHeaderValues, publicAccountFields, type PublicAccount,
} from "./store";
export { pickAccounts, servedModels, servedAs, type Candidate } from "./pool";
export { routableAccounts, invalidateRegistry, type RoutableAccount } from "./registry";
export { encryptSecret, decryptSecret } from "@/lib/secrets";
export { createAccountInput, updateAccountInput, routingStrategies, type RoutingStrategy, type RoutingSettings } from "./schemas";
export { testConnection, type ConnectionTestResult } from "./test-connection";
// Account health (health/README.md), by audience: what the gateway reports, what the pool reads, the console's views.
export { callStarted, reportSuccess, reportFailure, type SuccessOutcome } from "./health/outcomes";
export { inFlightCount } from "./health/gates";
export { clearHealthState, instanceId as healthInstanceId } from "./health/state";
export { type AccountStatus } from "./health/views";
export { getRoutingSettings, updateRoutingSettings, loadRoutingSettings } from "./routing-settings";
export { startAccountHealth, writeHealthSnapshot, seedFromCluster, countAccountTokens } from "./health/snapshots";
export { accountHealthReport, accountHealthDetail, type HealthReport, type AccountHealth, type AccountHealthDetail } from "./health/report";
export { runHealthAction, type HealthActionResult } from "./health/actions";
export { probeNow, type ProbeResult } from "./health/probes";
