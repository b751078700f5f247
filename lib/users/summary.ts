import "server-only";
import { db } from "@/lib/db";

/** Counts for the Overview page; later issues add traffic, health and quota figures. */
export async function consoleSummary() {
  const since = new Date(Date.now() - 24 * 3600 * 1000);
  const [users, activeKeys, audit24h] = await Promise.all([
    db.user.count({ where: { disabled: false } }),
    db.apiKey.count({ where: { revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }] } }),
    db.auditLog.count({ where: { createdAt: { gte: since } } }),
  ]);
  return { users, activeKeys, audit24h };
}
