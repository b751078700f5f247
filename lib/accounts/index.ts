import "server-only";
export { listAccounts, getAccount, createAccount, updateAccount, deleteAccount, publicAccountFields, type PublicAccount } from "./store";
export { pickAccounts, servedModels, servedAs, modelMatches, type Candidate } from "./pool";
export { routableAccounts, invalidateRegistry, type RoutableAccount } from "./registry";
export { encryptSecret, decryptSecret } from "./secrets";
export { createAccountInput, updateAccountInput } from "./schemas";
export { testConnection, type ConnectionTestResult } from "./test-connection";
export { callStarted, reportSuccess, reportFailure, inFlightCount, type SuccessOutcome } from "./health";
