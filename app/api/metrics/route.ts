// GET /api/metrics: Prometheus exposition. With METRICS_TOKEN set, only `Authorization: Bearer <token>`
// may read it; without one, production serves loopback clients only (lib/observability/scrape.ts).
import { apiRoute, methods } from "@/lib/http";
import { AppError } from "@/lib/core";
import { routableAccounts } from "@/lib/accounts";
import { metricsAccess, scrapeMetrics } from "@/lib/observability";
import { pendingUsage } from "@/lib/usage";

export const dynamic = "force-dynamic";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "none" }, async ({ req }) => {
    const access = metricsAccess(req.headers);
    if (!access.ok) throw new AppError(access.code, access.message);
    // A failed read leaves the account gauges as they were: a scrape never fails for them.
    const accounts = await routableAccounts().catch(() => null);
    const { body, contentType } = await scrapeMetrics({ pendingUsage: pendingUsage(), accounts });
    return new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
  }),
});
