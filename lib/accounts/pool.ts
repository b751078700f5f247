import "server-only";
import { routableAccounts, type RoutableAccount } from "./registry";

export type Candidate = { account: RoutableAccount; upstreamModel: string };

/** Glob match where `*` is any run of characters; everything else is literal. */
export function modelMatches(pattern: string, model: string): boolean {
  if (!pattern.includes("*")) return pattern === model;
  const re = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return re.test(model);
}

/** The upstream model name an account would use for a public name, or null if it does not serve it. */
export function servedAs(account: Pick<RoutableAccount, "models" | "aliases">, model: string): string | null {
  const alias = account.aliases[model];
  if (alias) return alias;
  if (account.models.length === 0 || account.models.some((p) => modelMatches(p, model))) return model;
  return null;
}

// Weighted shuffle (Efraimidis–Spirakis): each account's key is u^(1/w), so the
// first pick follows the weights and the rest give a fallback order.
function weightedOrder(accounts: Candidate[]): Candidate[] {
  return accounts
    .map((c) => ({ c, k: c.account.weight > 0 ? Math.random() ** (1 / c.account.weight) : -1 }))
    .sort((a, b) => b.k - a.k)
    .map((x) => x.c);
}

/**
 * Candidates for a model, in the order the gateway should try them: by priority
 * tier (lower first), weighted random within a tier. The accounts issue
 * replaces this with health-aware strategies; the contract stays.
 */
export async function pickAccounts(model: string): Promise<Candidate[]> {
  const all = await routableAccounts();
  const tiers = new Map<number, Candidate[]>();
  for (const account of all) {
    const upstreamModel = servedAs(account, model);
    if (!upstreamModel) continue;
    const tier = tiers.get(account.priority) ?? [];
    tier.push({ account, upstreamModel });
    tiers.set(account.priority, tier);
  }
  return [...tiers.keys()].sort((a, b) => a - b).flatMap((t) => weightedOrder(tiers.get(t)!));
}

/** Public model ids served by the enabled accounts: exact names and aliases (globs are not listable). */
export async function servedModels(): Promise<{ id: string; ownedBy: string }[]> {
  const out = new Map<string, string>();
  for (const a of await routableAccounts()) {
    for (const m of a.models) if (!m.includes("*")) out.set(m, a.provider);
    for (const alias of Object.keys(a.aliases)) out.set(alias, a.provider);
  }
  return [...out].map(([id, ownedBy]) => ({ id, ownedBy })).sort((a, b) => a.id.localeCompare(b.id));
}
