// GET /api/quota[?user=<end user>][&api_key_id=<key>]: every quota policy that
// applies to the calling key, with limit, used, reserved, remaining, window
// start and reset time. Admin keys may ask about any key.
import { apiRoute, methods } from "@/lib/http";
import { quotaStatus, quotaStatusQuery } from "@/lib/quota";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "apiKey", query: quotaStatusQuery }, ({ query, principal }) => quotaStatus(principal, query)),
}, "openai");
