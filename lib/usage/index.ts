import "server-only";
export { recordUsage, flushUsage, pendingUsage, registerBatchHook, type UsageEventInput, type UsageStatus, type BatchHook, type PricedUsageEvent } from "./writer";
export { loadPrices, priceFor, costOf, type PriceRow } from "./pricing";
export { usageSummary } from "./summary";
