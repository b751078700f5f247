// POST /api/v1/responses: OpenAI's Responses API, streamed (SSE events) or not; `prompt` serves a stored Promptgate prompt.
import { apiRoute, methods } from "@/lib/http";
import { responsesCompletion } from "@/lib/completions";
import { responsesRequest } from "@/lib/gateway";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  POST: apiRoute({ auth: "apiKey", body: responsesRequest }, ({ body, principal, signal, req }) => responsesCompletion(principal, body, req.headers, signal)),
});
