// GET /api/admin/accounts/routing: the routing strategy, per-model overrides and
// circuit thresholds. PUT: change any of them (audited, applied cluster-wide).
import { apiRoute, methods } from "@/lib/http";
import { getRoutingSettings, updateRoutingSettings } from "@/lib/accounts";
import { updateRoutingSettingsInput } from "@/lib/accounts/schemas";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "instanceAdmin" }, () => getRoutingSettings()),
  PUT: apiRoute({ auth: "instanceAdmin", body: updateRoutingSettingsInput }, ({ body, principal, ip }) => updateRoutingSettings(principal, body, ip)),
});
