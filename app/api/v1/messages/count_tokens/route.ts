// POST /api/v1/messages/count_tokens: Anthropic's token count for a Messages request (an estimate, no upstream call).
import { apiRoute, methods } from "@/lib/http";
import { countMessageTokens, messagesCountRequest } from "@/lib/gateway";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  POST: apiRoute({ auth: "apiKey", body: messagesCountRequest, envelope: "anthropic" }, ({ body, principal }) => countMessageTokens(principal, body)),
}, "anthropic");
