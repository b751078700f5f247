import "server-only";
import { registerSettlement } from "./settle";

// Quotas and rate limits: policies, reserve-then-settle admission, rate-limit
// headers, the sweeper and the status views. See README.md for the invariants.
// The gateway imports admit() from here, which also registers settlement with
// the usage writer (same transaction as the usage insert, fresh events only).
registerSettlement();

export { admit, isReservation, type Admission, type Reservation, type HeldCounter } from "./reserve";
export { listPolicies, getPolicy, createPolicy, updatePolicy, deletePolicy, enabledPolicies } from "./policies";
export { quotaStatus, quotaOverview, policiesForKeys, statusOf, type PolicyStatus, type KeyQuotaOverview } from "./status";
export { sweepQuotas, ensureSweeper, stopSweeper, reservationTtlMs } from "./sweeper";
export { settleBatch } from "./settle";
export { setQuotaClock, windowStart, windowEnd, formatDuration, rateLimitHeaders, subjectFor, completionBudget } from "./windows";
export {
  createQuotaPolicyInput, updateQuotaPolicyInput, quotaStatusQuery, limitFields, quotaScopes, scopeLabels,
  type CreateQuotaPolicyInput, type UpdateQuotaPolicyInput, type PolicyView, type LimitStatus, type QuotaScope, type QuotaPeriod,
} from "./schemas";
