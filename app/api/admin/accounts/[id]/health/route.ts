// GET /api/admin/accounts/:id/health: one account's health with 24 h of hourly
// history, its circuit and probe events, and its recent failures.
import { apiRoute, idParams, methods } from "@/lib/http";
import { accountHealthDetail } from "@/lib/accounts";

const params = idParams("an account id");

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "instanceAdmin", params }, ({ params }) => accountHealthDetail(params.id)),
});
