import "server-only";
export { recordUsage, flushUsage, pendingUsage, registerBatchHook, writeBatch, type UsageEventInput, type UsageStatus, type BatchHook, type PricedUsageEvent } from "./writer";
export { loadPrices, priceFor, costOf, type PriceRow } from "./pricing";
export { usageSummary } from "./summary";
// Importing the rollups registers their batch hook: every process that writes usage maintains them.
export { applyRollups, rebuildRollups, rollupRows, NIL_UUID } from "./rollups";
export { usageDashboard, usageFilterOptions, seriesByDimension, latencyByBucket, windowTotals, topByDimension } from "./dashboard";
export { resolveWindow, previousWindow, segments } from "./range";
export { exportEvents, exportAggregate } from "./export";
export { usageRoute, csvResponse } from "./http";
export { listPrices, createPrice, deleteScheduledPrice, type PriceView } from "./prices";
export { overview, type Overview } from "./overview";
