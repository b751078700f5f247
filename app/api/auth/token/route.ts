// POST /api/auth/token: exchanges an API key for a 15-minute access token and a
// refresh token, or rotates a refresh token. A static segment, so Next routes it
// here rather than to Auth.js's /api/auth/[...nextauth] catch-all.
import { apiRoute, bearerToken, methods } from "@/lib/http";
import { exchangeToken, tokenRequest } from "@/lib/auth";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  POST: apiRoute({ auth: "none", body: tokenRequest }, ({ body, req }) => exchangeToken(body, bearerToken(req))),
});
