// The client-safe face of lib/accounts' read models: the shapes the console renders.
export type { AccountHealth, HealthReport, AccountHealthDetail } from "./health/report";
