// GET /api/v1/usage?from&to[&api_key_id]: the calling key's requests, tokens and
// cost by model (default: the last 30 days). Admin keys may ask for any key.
import { apiRoute, methods } from "@/lib/http";
import { AppError } from "@/lib/core";
import { usageQuery } from "@/lib/gateway";
import { usageSummary } from "@/lib/usage";
import { isAdminPrincipal, workspaceOf } from "@/lib/auth";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "apiKey", query: usageQuery }, ({ query, principal }) => {
    const own = principal.kind === "apiKey" ? principal.key.id : null;
    if (query.api_key_id && query.api_key_id !== own && !isAdminPrincipal(principal)) {
      throw new AppError("forbidden", "Only an admin key may read another key's usage", { param: "api_key_id" });
    }
    const to = query.to ?? new Date();
    const from = query.from ?? new Date(to.getTime() - 30 * 86_400_000);
    if (from >= to) throw new AppError("validation_error", "'from' must be before 'to'", { param: "from" });
    return usageSummary(workspaceOf(principal), query.api_key_id ?? own, from, to);
  }),
});
