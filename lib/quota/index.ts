import "server-only";

// Quotas and rate limits: policies, reserve-then-settle admission, rate-limit
// headers, the sweeper and the status views. See README.md for the invariants.
// settleBatch is a settlement step of the usage writer (same transaction as the
// usage insert, fresh events only), listed in lib/gateway/settle.ts.

export { admit, isReservation, type Admission, type AdmissionRequest, type SizedCall, type Reservation, type HeldCounter } from "./reserve";
export { listPolicies, getPolicy, createPolicy, updatePolicy, deletePolicy, enabledPolicies } from "./policies";
export { quotaStatus, quotaOverview, policiesForKeys, statusOf, effectiveLimit, type PolicyStatus, type KeyQuotaOverview } from "./status";
export { sweepQuotas, ensureSweeper, stopSweeper, reservationTtlMs } from "./sweeper";
export { settleBatch } from "./settle";
export { raisePolicy, endRaise, resetWindow, type WindowReset } from "./overrides";
export { listQuotaAlerts, type QuotaAlertView } from "./alerts";
export { setQuotaClock, windowStart, windowEnd, formatDuration, rateLimitHeaders, subjectFor, completionBudget } from "./windows";
export {
  createQuotaPolicyInput, updateQuotaPolicyInput, quotaStatusQuery, limitFields, quotaScopes, scopeLabels, raisePolicyInput, resetWindowInput, DEFAULT_THRESHOLDS,
  type RaisePolicyInput, type ResetWindowInput, type PolicyRaise,
  type CreateQuotaPolicyInput, type UpdateQuotaPolicyInput, type PolicyView, type LimitStatus, type QuotaScope, type QuotaPeriod,
} from "./schemas";
