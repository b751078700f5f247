import "server-only";
import { config } from "@/lib/config";
import { timingSafeEqual, createHash } from "node:crypto";
import { clientIpFrom } from "@/lib/core";
import { pool } from "@/lib/db";
import { metrics } from "./metrics";
import { peerAddress } from "./peer";

// Scrape-time values owned by other domains. Only the metrics route imports
// this file, so lib/observability's index (which every domain imports for its
// logger) never depends on a domain.

/** Whether the Authorization header is `Bearer <token>`. */
function bearerMatches(authorization: string | null, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? "");
  if (!m?.[1]) return false;
  // Hashing first makes the comparison constant-time whatever the lengths.
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(m[1].trim()), digest(token));
}

const LOOPBACK = /^(?:127(?:\.\d{1,3}){3}|::1|::ffff:127(?:\.\d{1,3}){3})$/i;

export function isLoopback(address: string | null | undefined): boolean {
  return !!address && LOOPBACK.test(address);
}

export type MetricsAccessInput = {
  authorization: string | null;
  token: string | undefined;
  production: boolean;
  /** The TCP peer (lib/observability/peer.ts), undefined when unknown. */
  peer: string | undefined;
  /** The client our trusted proxies report (TRUST_PROXY_HOPS), null when none is trusted or reported. */
  forwardedClient: string | null;
  trustProxyHops: number;
};

export type MetricsAccess = { ok: true } | { ok: false; code: "unauthorized" | "forbidden"; message: string };

/**
 * With METRICS_TOKEN set, the token and nothing else. Without one, production
 * serves only this machine: a loopback TCP peer and, when a trusted proxy is
 * declared, a loopback client behind it too (a reverse proxy on the same host
 * connects from loopback for everyone). Outside production the metrics stay open.
 */
export function decideMetricsAccess(a: MetricsAccessInput): MetricsAccess {
  if (a.token) {
    return bearerMatches(a.authorization, a.token)
      ? { ok: true }
      : { ok: false, code: "unauthorized", message: "Send the metrics token as 'Authorization: Bearer <METRICS_TOKEN>'" };
  }
  if (!a.production) return { ok: true };
  if (isLoopback(a.peer) && (a.trustProxyHops === 0 || isLoopback(a.forwardedClient))) return { ok: true };
  return {
    ok: false,
    code: "forbidden",
    message: "Without METRICS_TOKEN, metrics are served only to clients on this machine (loopback). Set METRICS_TOKEN to scrape from elsewhere.",
  };
}

/** decideMetricsAccess for the request being handled. */
export function metricsAccess(headers: Headers): MetricsAccess {
  const c = config();
  return decideMetricsAccess({
    authorization: headers.get("authorization"),
    token: c.METRICS_TOKEN,
    production: c.NODE_ENV === "production",
    peer: peerAddress(),
    forwardedClient: clientIpFrom(headers),
    trustProxyHops: c.TRUST_PROXY_HOPS,
  });
}

/**
 * What the domains above observability report at scrape time (read, not pushed):
 * the route collects them, so this module depends on none of those domains.
 */
export type ScrapedGauges = {
  pendingUsage: number;
  /** The routable accounts, or null when they could not be read (the last values stay). */
  accounts: { id: string; name: string; provider: string }[] | null;
};

/** The exposition text, with the gauges that are read rather than pushed brought up to date. */
export async function scrapeMetrics(g: ScrapedGauges): Promise<{ body: string; contentType: string }> {
  const m = metrics();
  m.usageQueue.set(g.pendingUsage);
  const p = pool();
  m.dbPool.set({ state: "total" }, p.totalCount);
  m.dbPool.set({ state: "idle" }, p.idleCount);
  m.dbPool.set({ state: "in_use" }, p.totalCount - p.idleCount);
  m.dbWaiting.set(p.waitingCount);
  if (g.accounts) {
    m.accountInfo.reset();
    for (const a of g.accounts) m.accountInfo.set({ account: a.id, name: a.name, provider: a.provider }, 1);
  }
  return { body: await m.registry.metrics(), contentType: m.registry.contentType };
}
