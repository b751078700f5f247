import "server-only";
import { apiRoute, bearerToken, type RouteContext, type RouteHandler } from "@/lib/http";
import { usageViewQuery, viewFromQuery, type UsageView } from "./schemas";

/**
 * Usage routes answer a signed-in console user of any role (the Usage page is
 * for viewers too) or, with a Bearer token, an admin-scoped API key.
 */
export function usageRoute(
  handler: (ctx: RouteContext<undefined, unknown, Record<string, string>> & { view: UsageView }) => Promise<unknown> | unknown,
): RouteHandler {
  const wrap = (auth: "admin" | "session") =>
    apiRoute({ auth, role: "viewer", query: usageViewQuery }, (ctx) => handler({ ...ctx, view: viewFromQuery(ctx.query) }));
  const viaKey = wrap("admin");
  const viaSession = wrap("session");
  return (req, ctx) => (bearerToken(req) ? viaKey(req, ctx) : viaSession(req, ctx));
}

/** A streamed CSV download. */
export function csvResponse({ stream, filename }: { stream: ReadableStream<Uint8Array>; filename: string }): Response {
  return new Response(stream, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${filename}"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
