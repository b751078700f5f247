import "server-only";
import { errorBody, json, sseData, sseEvent, sseStream, toAppError, SSE_DONE, type Principal } from "@/lib/core";
import { segmentOf } from "@/lib/filters";
import { isUsageChunk, type ChatCompletionChunk, type ChatCompletionRequest } from "@/lib/providers";
import { createCall, type CallOptions } from "../call";
import { runCall, StreamFailure } from "../pipeline";

// Ingress for OpenAI's chat-completions dialect (/api/v1/chat/completions, and
// /api/completion and the playground, which answer in the same shape). The
// canonical request is this dialect's own, so the request needs no
// translation; the answer gets our completion id, the caller's extras, and
// SSE frames: `data: {chunk}` … `data: [DONE]`, or a final error frame.

export async function chat(principal: Principal, request: ChatCompletionRequest, signal: AbortSignal, options: CallOptions = {}): Promise<Response> {
  const call = createCall(principal, request, signal, options);
  const result = await runCall(call);
  const extras = options.bodyExtras;
  if (result.kind === "completion") {
    const created = result.cached ? { created: Math.floor(Date.now() / 1000) } : {};
    return json({ ...result.completion, id: call.id, ...created, ...extras }, { headers: result.headers });
  }
  // A chat call carries no native request, so the pipeline answers it in canonical shapes only.
  if (result.kind !== "stream") throw new Error(`a chat call got a ${result.kind} result`);
  const includeUsage = call.request.stream_options?.include_usage === true;
  let first = true;
  const stream = sseStream(result.chunks, {
    headers: result.headers,
    // Chunks are this call's own objects (parsed per event), so the id is set in place: no copy per chunk.
    encode(chunk: ChatCompletionChunk) {
      chunk.id = call.id;
      if (result.filtered && segmentOf(chunk)) return sseEvent("segment", chunk);
      if (isUsageChunk(chunk)) return includeUsage ? sseData(chunk) : null;
      if (first && extras) {
        first = false;
        return sseData({ ...chunk, ...extras });
      }
      first = false;
      return sseData(chunk);
    },
    end: SSE_DONE,
    error: (err) => sseData(errorBody(err instanceof StreamFailure ? err.error : toAppError(err), "openai")),
  });
  result.onInterrupt((err) => stream.interrupt(sseData(errorBody(err, "openai"))));
  return stream.response;
}
