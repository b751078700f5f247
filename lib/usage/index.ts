import "server-only";
export { recordUsage, flushUsage, flushUsageNow, pendingUsage, setSettlementSteps, settlementSteps, writeBatch, type UsageEventInput, type UsageStatus, type UsageSurface, type UsageReservation, type BatchHook, type PricedUsageEvent } from "./writer";
export { usageSummary } from "./summary";
// The writer maintains the rollups itself after the settlement steps, so every process that writes usage does.
export { applyRollups, rebuildRollups, rollupRows, NIL_UUID } from "./rollups";
export { usageDashboard, usageFilterOptions, seriesByDimension, latencyByBucket, windowTotals, topByDimension } from "./dashboard";
export { resolveWindow, previousWindow, segments } from "./range";
export { exportEvents, exportAggregate } from "./export";
export { accountTotals } from "./dashboard";
export { usageMetadata, usageViewQuery, viewFromQuery, ALL_WORKSPACES, type UsageMetadata, type WorkspaceChoice } from "./schemas";
export { usageScope, type UsageScope } from "./scope";
