// GET /api/console/accounts/:id/health: one account's health with its history
// and events, for the console's live detail page and every signed-in user.
import { apiRoute, idParams, methods } from "@/lib/http";
import { accountHealthDetail } from "@/lib/accounts";

const params = idParams("an account id");

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "session", role: "viewer", params }, ({ params }) => accountHealthDetail(params.id)),
});
