import "server-only";
import { config } from "@/lib/config";

/**
 * The client's IP as reported by our own reverse proxies, or null when no proxy
 * is trusted (TRUST_PROXY_HOPS=0): Next only fills X-Forwarded-For when it is
 * absent, so without a trusted proxy the header is whatever the client sent.
 */
export function clientIpFrom(headers: Headers): string | null {
  const hops = config().TRUST_PROXY_HOPS;
  if (hops === 0) return null;
  const chain = (headers.get("x-forwarded-for") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  // Each trusted proxy appends the address it saw; the client is `hops` from the right.
  return chain[chain.length - hops] ?? chain[0] ?? null;
}
