// GET /api/health/ready: database reachable and migrations applied, else 503.
import { apiRoute, json, methods } from "@/lib/http";
import { readiness } from "@/lib/observability";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "none" }, async () => {
    const r = await readiness();
    return json({ status: r.ok ? "ok" : "unavailable", ...r }, { status: r.ok ? 200 : 503 });
  }),
});
