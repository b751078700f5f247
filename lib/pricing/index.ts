import "server-only";
// Model prices (per million tokens, effective from a date, exact or prefix
// patterns): the cached table the usage writer prices events with, quota
// admission estimates spend with and the "cheapest" routing strategy ranks
// accounts with, and the console's price list. Below usage, quota and accounts.
export { loadPrices, priceFor, costOf, type PriceRow } from "./pricing";
export { listPrices, createPrice, deleteScheduledPrice, type PriceView } from "./prices";
export { createPriceInput, type CreatePriceInput } from "./schemas";
