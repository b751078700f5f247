// GET /api/health/live: the process is up. Never touches the database.
import { apiRoute, methods } from "@/lib/http";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "none" }, () => ({ status: "ok", uptimeSeconds: Math.round(process.uptime()) })),
});
