import { limitFields, type LimitStatus, type PolicyView } from "@/lib/quota/schemas";

// Formatting shared by the quota page's server and client components.

export type KeyOption = { id: string; name: string; prefix: string };

export function formatAmount(metric: LimitStatus["metric"], n: number): string {
  if (metric === "spend") return `$${n.toFixed(n < 1 ? 4 : 2)}`;
  return n >= 10_000 ? Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 }).format(n) : String(n);
}

/** "12k tokens/day, 60 req/min" */
export function limitSummary(p: PolicyView): string {
  const parts = limitFields.flatMap((l) => {
    const v = p[l.field];
    return v == null ? [] : [`${formatAmount(l.metric, v)} ${l.label.toLowerCase().replace(" (usd)", "")}`];
  });
  return parts.join(", ") || "no limits";
}

/** Near: 80 % or more used or reserved; over: at or past the limit. */
export function level(l: Pick<LimitStatus, "max" | "used" | "reserved">): "ok" | "near" | "over" {
  const used = l.used + l.reserved;
  if (used >= l.max) return "over";
  return used >= 0.8 * l.max ? "near" : "ok";
}

export function appliesTo(p: PolicyView, keys: KeyOption[]): string {
  const key = p.apiKeyId ? (keys.find((k) => k.id === p.apiKeyId)?.name ?? `key ${p.apiKeyId.slice(0, 8)}`) : "each key";
  if (p.scope === "workspace") return "the whole workspace (all keys together)";
  if (p.scope === "model") return `model ${p.model} (all keys together)`;
  if (p.scope === "key_model") return `${key}, model ${p.model}`;
  if (p.scope === "user") return `${key}, ${p.endUser ? `end user ${p.endUser}` : "each end user"}`;
  return key;
}
