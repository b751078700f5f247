// POST /api/v1/messages: Anthropic's Messages API, streamed (SSE) or not; Anthropic accounts get it natively.
import { apiRoute, methods } from "@/lib/http";
import { messages, messagesRequest } from "@/lib/gateway";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  POST: apiRoute({ auth: "apiKey", body: messagesRequest, envelope: "anthropic" }, ({ body, principal, signal, req }) =>
    messages(principal, body, signal, req.headers),
  ),
}, "anthropic");
