import "server-only";
import { wildcardMatch } from "@/lib/core";

// Account aliases map a public model name to the upstream's. The public side
// may be a glob ("claude-*": "gpt-4o-mini"), so clients that send model names
// nobody configured (a coding agent's newest claude-* id) still resolve.
// Resolution for one account, first match wins:
//   1. an exact alias;
//   2. a model the account lists by its exact name (served as itself);
//   3. the most specific glob alias: most literal characters, then fewest
//      stars, then alphabetical, so the order never depends on how the JSON was written;
//   4. a model glob of the account, or an empty model list (served as itself).
// Globs match with the one wildcard matcher (lib/core), never a regex.

export type AliasGlob = readonly [pattern: string, upstream: string];

export const isGlob = (name: string): boolean => name.includes("*");

const literals = (p: string) => p.length - (p.match(/\*/g)?.length ?? 0);
const stars = (p: string) => p.length - literals(p);

/** Most specific first. */
export function byGlobSpecificity(a: string, b: string): number {
  return literals(b) - literals(a) || stars(a) - stars(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** The glob aliases of an account's alias map, most specific first (computed once per registry load). */
export function aliasGlobs(aliases: Record<string, string>): AliasGlob[] {
  return Object.entries(aliases)
    .filter(([pattern]) => isGlob(pattern))
    .sort(([a], [b]) => byGlobSpecificity(a, b));
}

export type AliasedAccount = { models: string[]; aliases: Record<string, string>; aliasGlobs: readonly AliasGlob[] };

/** The upstream model name an account would use for a public name, or null if it does not serve it. */
export function servedAs(account: AliasedAccount, model: string): string | null {
  // Own properties only: "constructor" or "__proto__" must not find Object.prototype's.
  if (Object.hasOwn(account.aliases, model) && !isGlob(model)) {
    const alias = account.aliases[model];
    if (typeof alias === "string" && alias) return alias;
  }
  if (account.models.length > 0 && account.models.includes(model) && !isGlob(model)) return model;
  for (const [pattern, upstream] of account.aliasGlobs) if (wildcardMatch(pattern, model)) return upstream;
  if (account.models.length === 0 || account.models.some((p) => wildcardMatch(p, model))) return model;
  return null;
}
