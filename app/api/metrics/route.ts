// GET /api/metrics: Prometheus exposition. With METRICS_TOKEN set, only `Authorization: Bearer <token>` may read it.
import { apiRoute, methods, AppError } from "@/lib/http";
import { metricsAuthorized, scrapeMetrics } from "@/lib/observability/scrape";

export const dynamic = "force-dynamic";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "none" }, async ({ req }) => {
    if (!metricsAuthorized(req.headers.get("authorization"))) throw new AppError("unauthorized", "Send the metrics token as 'Authorization: Bearer <METRICS_TOKEN>'");
    const { body, contentType } = await scrapeMetrics();
    return new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
  }),
});
