// POST /api/v1/chat/completions: OpenAI-compatible chat completion, streamed (SSE) or not.
import { apiRoute, methods } from "@/lib/http";
import { CACHE_HEADER, chat, chatCompletionRequest, wantsCache } from "@/lib/gateway";
import type { ChatCompletionRequest } from "@/lib/providers";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  POST: apiRoute({ auth: "apiKey", body: chatCompletionRequest }, ({ body, principal, signal, req }) =>
    chat(principal, body as ChatCompletionRequest, signal, { cache: wantsCache(principal, req.headers.get(CACHE_HEADER)) }),
  ),
});
