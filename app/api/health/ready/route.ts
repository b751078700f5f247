// GET /api/health/ready: database reachable and migrations applied, else 503
// (also 503 as soon as a shutdown starts, so load balancers stop sending traffic).
import { apiRoute, methods } from "@/lib/http";
import { json } from "@/lib/core";
import { isDraining, readiness } from "@/lib/observability";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "none" }, async () => {
    if (isDraining()) return json({ status: "draining", ok: false }, { status: 503 });
    const r = await readiness();
    return json({ status: r.ok ? "ok" : "unavailable", ...r }, { status: r.ok ? 200 : 503 });
  }),
});
