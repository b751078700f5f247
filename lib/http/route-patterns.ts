// Pure and stateless: also the production server's fast door (scripts/lib/fast-door.ts) finds
// route modules with it, so that both doors route exactly alike. No "server-only" for that reason.

// Every route under app/api, named as Next names it. Metrics label requests by
// these patterns, never by the raw path: a path carries names and ids that any
// caller can vary, so labelling by it would let unauthenticated requests to
// /api/prompts/<random> fill the label cap and hide every later route.
// tests/unit/http/route-patterns.test.ts fails when this list and app/api differ.
export const API_ROUTES = [
  "/api/[...path]",
  "/api/admin/accounts",
  "/api/admin/accounts/[id]",
  "/api/admin/accounts/[id]/actions",
  "/api/admin/accounts/[id]/health",
  "/api/admin/accounts/[id]/test",
  "/api/admin/accounts/health",
  "/api/admin/accounts/routing",
  "/api/admin/datasets",
  "/api/admin/datasets/[id]",
  "/api/admin/datasets/[id]/import-logs",
  "/api/admin/datasets/[id]/rows",
  "/api/admin/datasets/[id]/upload",
  "/api/admin/evaluations",
  "/api/admin/evaluations/[id]",
  "/api/admin/evaluations/[id]/cancel",
  "/api/admin/evaluations/[id]/rows",
  "/api/admin/evaluations/compare",
  "/api/admin/evaluations/gates",
  "/api/admin/evaluations/gates/[id]",
  "/api/admin/experiments/[id]/results",
  "/api/admin/keys",
  "/api/admin/keys/[id]",
  "/api/admin/prompts",
  "/api/admin/prompts/[name]",
  "/api/admin/prompts/[name]/diff",
  "/api/admin/prompts/[name]/labels/[label]",
  "/api/admin/prompts/[name]/versions",
  "/api/admin/prompts/[name]/versions/[version]",
  "/api/admin/prompts/globals",
  "/api/admin/prompts/globals/[name]",
  "/api/admin/quotas",
  "/api/admin/quotas/[id]",
  "/api/admin/quotas/[id]/raise",
  "/api/admin/quotas/[id]/reset",
  "/api/admin/usage/dashboard",
  "/api/admin/usage/export/aggregate",
  "/api/admin/usage/export/events",
  "/api/admin/webhooks",
  "/api/admin/webhooks/[id]",
  "/api/admin/webhooks/[id]/deliveries",
  "/api/admin/webhooks/[id]/rotate-secret",
  "/api/admin/webhooks/[id]/test",
  "/api/admin/webhooks/deliveries/[id]/redeliver",
  "/api/admin/workspaces",
  "/api/admin/workspaces/[id]",
  "/api/admin/workspaces/[id]/members",
  "/api/auth/[...nextauth]",
  "/api/auth/token",
  "/api/bench/memory",
  "/api/bench/noop",
  "/api/bench/proxy",
  "/api/completion",
  "/api/console/accounts/[id]/health",
  "/api/console/accounts/health",
  "/api/console/playground",
  "/api/console/playground/runs/[completionId]",
  "/api/console/preview",
  "/api/console/prompt-refs",
  "/api/console/prompts/[name]",
  "/api/console/prompts/[name]/diff",
  "/api/console/prompts/[name]/versions/[version]",
  "/api/feedback",
  "/api/health/live",
  "/api/health/ready",
  "/api/metrics",
  "/api/prompts/[name]",
  "/api/quota",
  "/api/v1/chat/completions",
  "/api/v1/messages",
  "/api/v1/messages/count_tokens",
  "/api/v1/embeddings",
  "/api/v1/models",
  "/api/v1/responses",
  "/api/v1/responses/[id]",
  "/api/v1/usage",
] as const;

/** The label for requests no pattern matches. */
export const OTHER_ROUTE = "other";

// Next's precedence at each segment: a static name, then [param], then [...catchAll].
const STATIC = 2;
const PARAM = 1;
const CATCH_ALL = 0;
type Compiled = { pattern: string; parts: string[]; ranks: number[] };

const rankOf = (part: string) => (/^\[\.\.\..+\]$/.test(part) ? CATCH_ALL : /^\[.+\]$/.test(part) ? PARAM : STATIC);
const byName = new Map<string, string>();
const withParams: Compiled[] = [];
for (const pattern of API_ROUTES) {
  const parts = pattern.split("/");
  const ranks = parts.map(rankOf);
  if (ranks.every((r) => r === STATIC)) byName.set(pattern, pattern);
  else withParams.push({ pattern, parts, ranks });
}
// Most specific first, so the first match is the route Next would pick.
withParams.sort((a, b) => {
  for (let i = 0; i < Math.min(a.ranks.length, b.ranks.length); i++) if (a.ranks[i] !== b.ranks[i]) return b.ranks[i]! - a.ranks[i]!;
  return b.ranks.length - a.ranks.length;
});

function matches(route: Compiled, parts: string[]): boolean {
  for (let i = 0; i < route.parts.length; i++) {
    const rank = route.ranks[i]!;
    if (rank === CATCH_ALL) return parts.length > i;
    if (i >= parts.length) return false;
    if (rank === STATIC && route.parts[i] !== parts[i]) return false;
    if (rank === PARAM && parts[i] === "") return false;
  }
  return parts.length === route.parts.length;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** The app/api route pattern a path is served by (`/api/prompts/[name]`), or "other". */
export function routePattern(pathname: string): string {
  const exact = byName.get(pathname);
  if (exact) return exact;
  const parts = pathname.split("/").map(decode);
  const decoded = byName.get(parts.join("/"));
  if (decoded) return decoded;
  return withParams.find((r) => matches(r, parts))?.pattern ?? OTHER_ROUTE;
}

/** The path parameters of `pathname` under `pattern` (as Next passes them to a route handler). */
export function routeParams(pattern: string, pathname: string): Record<string, string | string[]> {
  const route = pattern.split("/");
  const parts = pathname.split("/").map(decode);
  const params: Record<string, string | string[]> = {};
  for (let i = 0; i < route.length; i++) {
    const seg = route[i]!;
    const rank = rankOf(seg);
    if (rank === CATCH_ALL) params[seg.slice(4, -1)] = parts.slice(i);
    else if (rank === PARAM) params[seg.slice(1, -1)] = parts[i] ?? "";
  }
  return params;
}
