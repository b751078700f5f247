import "server-only";
export { recordUsage, flushUsage, pendingUsage, type UsageEventInput, type UsageStatus } from "./writer";
export { loadPrices, priceFor, costOf, type PriceRow } from "./pricing";
export { usageSummary } from "./summary";
