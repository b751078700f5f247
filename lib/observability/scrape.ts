import "server-only";
import { config } from "@/lib/config";
import { timingSafeEqual, createHash } from "node:crypto";
import { routableAccounts } from "@/lib/accounts";
import { pool } from "@/lib/db";
import { pendingUsage } from "@/lib/usage";
import { metrics } from "./metrics";

// Scrape-time values owned by other domains. Only the metrics route imports
// this file, so lib/observability's index (which every domain imports for its
// logger) never depends on a domain.

/** Whether a request may read the metrics: always when METRICS_TOKEN is unset, else only with `Bearer <token>`. */
export function metricsAuthorized(authorization: string | null, token = config().METRICS_TOKEN): boolean {
  if (!token) return true;
  const m = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? "");
  if (!m?.[1]) return false;
  // Hashing first makes the comparison constant-time whatever the lengths.
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(m[1].trim()), digest(token));
}

/** The exposition text, with the gauges that are read rather than pushed brought up to date. */
export async function scrapeMetrics(): Promise<{ body: string; contentType: string }> {
  const m = metrics();
  m.usageQueue.set(pendingUsage());
  const p = pool();
  m.dbPool.set({ state: "total" }, p.totalCount);
  m.dbPool.set({ state: "idle" }, p.idleCount);
  m.dbPool.set({ state: "in_use" }, p.totalCount - p.idleCount);
  m.dbWaiting.set(p.waitingCount);
  try {
    const accounts = await routableAccounts();
    m.accountInfo.reset();
    for (const a of accounts) m.accountInfo.set({ account: a.id, name: a.name, provider: a.provider }, 1);
  } catch {
    // The database is down: keep the last known mapping rather than fail the scrape.
  }
  return { body: await m.registry.metrics(), contentType: m.registry.contentType };
}
