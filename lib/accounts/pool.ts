import "server-only";
import { wildcardMatch } from "@/lib/core";
import { AppError } from "@/lib/core";
import { loadPrices, priceFor } from "@/lib/pricing";
import { isGlob, servedAs } from "./aliases";
import { awaitingProbe, headroom, inFlightCount, latencyScore, nextAvailableAt, unavailableReason } from "./health/gates";
import { routableAccounts, type RoutableAccount } from "./registry";
import { loadRoutingSettings, strategyFor } from "./routing-settings";
import { orderTier, type Scored } from "./strategies";

export { servedAs };

export type Candidate = { account: RoutableAccount; upstreamModel: string };

function overrideFor(account: RoutableAccount, model: string) {
  if (account.modelOverrides.length === 0) return undefined;
  return account.modelOverrides.find(([p]) => wildcardMatch(p, model))?.[1];
}

function priceOf(model: string, now: number): number {
  const p = priceFor(model, now);
  return p ? p.input + p.output : Infinity;
}

type Entry = Scored<Candidate> & { probe: boolean; saturated: boolean };

/**
 * Candidates for a model, in the order the gateway should try them.
 *
 * - Unavailable accounts are left out: draining, cooling down after a 429, or
 *   with an open circuit (a half-open one is included while its probe slot is free).
 * - Priority tiers in order (lower first): a lower tier is reached only when
 *   every account above it is unavailable or has failed this request.
 * - Within a tier the strategy (global, or the model's override) orders the
 *   accounts; a half-open account goes first so its one probe happens, and an
 *   account at its own RPM/TPM limit goes last.
 *
 * Synchronous after the first call (accounts, settings and health are in memory)
 * and O(n log n) in the number of accounts serving the model.
 */
export async function pickAccounts(model: string): Promise<Candidate[]> {
  const [all] = await Promise.all([routableAccounts(), loadRoutingSettings()]);
  const now = Date.now();
  const strategy = strategyFor(model);
  if (strategy === "cheapest") void loadPrices();
  const tiers = new Map<number, Entry[]>();
  let serving = 0;
  let retryAt = Infinity;
  for (const account of all) {
    const upstreamModel = servedAs(account, model);
    if (!upstreamModel) continue;
    serving++;
    if (unavailableReason(account, upstreamModel, now)) {
      const at = nextAvailableAt(account, upstreamModel);
      if (at) retryAt = Math.min(retryAt, at);
      continue;
    }
    const ov = overrideFor(account, model);
    const priority = ov?.priority ?? account.priority;
    const room = headroom(account, now);
    const entry: Entry = {
      item: { account, upstreamModel },
      weight: ov?.weight ?? account.weight,
      latency: strategy === "least_latency" ? latencyScore(account, upstreamModel, now) : 0,
      inFlight: inFlightCount(account.id),
      headroom: room,
      price: strategy === "cheapest" ? priceOf(upstreamModel, now) : 0,
      probe: awaitingProbe(account, upstreamModel, now),
      saturated: room <= 0,
    };
    const tier = tiers.get(priority);
    if (tier) tier.push(entry);
    else tiers.set(priority, [entry]);
  }
  if (serving > 0 && tiers.size === 0) {
    const wait = Number.isFinite(retryAt) ? Math.max(1, Math.ceil((retryAt - now) / 1000)) : null;
    throw new AppError("service_unavailable", `No account can serve '${model}' right now: every one is draining, cooling down or has an open circuit`, {
      headers: wait ? { "retry-after": String(wait) } : {},
      extra: { code: "no_healthy_account" },
    });
  }
  const out: Candidate[] = [];
  for (const priority of [...tiers.keys()].sort((a, b) => a - b)) {
    const ordered = orderTier(strategy, tiers.get(priority)!) as Entry[];
    for (const e of ordered) if (e.probe) out.push(e.item);
    for (const e of ordered) if (!e.probe && !e.saturated) out.push(e.item);
    for (const e of ordered) if (!e.probe && e.saturated) out.push(e.item);
  }
  return out;
}

/**
 * Public model ids served by the enabled accounts: exact names and exact aliases.
 * Globs, on either side, resolve names nobody can enumerate, so they add nothing here.
 */
export async function servedModels(): Promise<{ id: string; ownedBy: string }[]> {
  const out = new Map<string, string>();
  for (const a of await routableAccounts()) {
    for (const m of a.models) if (!m.includes("*")) out.set(m, a.provider);
    for (const alias of Object.keys(a.aliases)) if (!isGlob(alias)) out.set(alias, a.provider);
  }
  return [...out].map(([id, ownedBy]) => ({ id, ownedBy })).sort((a, b) => a.id.localeCompare(b.id));
}
