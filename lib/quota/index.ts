import "server-only";

// Quotas and rate limits: policies, reserve-then-settle admission, rate-limit
// headers, the sweeper and the status views. See README.md for the invariants.
// settleBatch is a settlement step of the usage writer (same transaction as the
// usage insert, fresh events only), listed in lib/gateway/settle.ts.

export { admit, isReservation, type Admission, type AdmissionRequest, type SizedCall, type Reservation, type HeldCounter } from "./reserve";
export { listPolicies, getPolicy, createPolicy, updatePolicy, deletePolicy, enabledPolicies } from "./policies";
export { quotaStatus, quotaOverview, policiesForKeys, statusOf, type PolicyStatus, type KeyQuotaOverview } from "./status";
export { sweepQuotas, ensureSweeper, stopSweeper, reservationTtlMs } from "./sweeper";
export { settleBatch } from "./settle";
export { setQuotaClock, windowStart, windowEnd, formatDuration, rateLimitHeaders, subjectFor, completionBudget } from "./windows";
export {
  createQuotaPolicyInput, updateQuotaPolicyInput, quotaStatusQuery, limitFields, quotaScopes, scopeLabels,
  type CreateQuotaPolicyInput, type UpdateQuotaPolicyInput, type PolicyView, type LimitStatus, type QuotaScope, type QuotaPeriod,
} from "./schemas";
