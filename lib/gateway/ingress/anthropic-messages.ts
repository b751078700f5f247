import "server-only";
import { errorBody, json, sseEvent, sseEvents, sseRaw, sseStream, toAppError, type Principal } from "@/lib/core";
import { segmentOf } from "@/lib/filters";
import {
  AnthropicEventEncoder, countChatTokens, fromAnthropicRequest, toAnthropicMessage, type ChatCompletionChunk, type MessagesCountRequest,
  type MessagesRequest, type NativeEvent,
} from "@/lib/providers";
import { createCall, type CallOptions } from "../call";
import { runCall, StreamFailure } from "../pipeline";
import { assertModelAllowed } from "../scopes";

// Ingress for Anthropic's Messages dialect (/api/v1/messages). The call
// carries both the canonical translation and the client's own body: an
// Anthropic account gets the body as sent (native passthrough: unknown fields,
// beta headers and cache usage survive), any other account the canonical
// request, whose answer is encoded back into Anthropic's message object or
// event sequence here. Errors use Anthropic's envelope: before the first byte
// as HTTP errors (apiRoute, envelope "anthropic"), after it as an `error` event.

/** Client headers an Anthropic upstream must see: the body is in the client's API version, with its betas. */
const NATIVE_HEADERS = ["anthropic-version", "anthropic-beta"] as const;

function nativeHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of NATIVE_HEADERS) {
    const v = headers.get(name);
    if (v) out[name] = v;
  }
  return out;
}

const errorEvent = (err: unknown) => sseEvent("error", errorBody(err instanceof StreamFailure ? err.error : toAppError(err), "anthropic"));

/** A message id in Anthropic's form for a translated answer: the completion id's random part. */
const messageId = (completionId: string) => `msg_${completionId.slice(completionId.indexOf("-") + 1)}`;

export async function messages(principal: Principal, body: MessagesRequest, signal: AbortSignal, headers: Headers, options: CallOptions = {}): Promise<Response> {
  const { request, untranslatable } = fromAnthropicRequest(body);
  const call = createCall(principal, request, signal, { surface: "messages", ...options }, {
    dialect: "anthropic-messages",
    request: { body, headers: nativeHeaders(headers) },
    ...(untranslatable ? { untranslatable } : {}),
  });
  const result = await runCall(call);
  switch (result.kind) {
    case "native":
      return json(result.body, { headers: result.headers });
    case "completion":
      return json(toAnthropicMessage(result.completion, messageId(call.id)), { headers: result.headers });
    case "native-stream": {
      // Relayed as received: event names kept (the SDKs ignore events without one), data not parsed again.
      const stream = sseStream<NativeEvent>(result.events, { headers: result.headers, encode: (e) => sseRaw(e.event, e.data), error: errorEvent });
      result.onInterrupt((err) => stream.interrupt(errorEvent(err)));
      return stream.response;
    }
    case "stream": {
      const encoder = new AnthropicEventEncoder(messageId(call.id), call.request.model);
      const frames = (events: ReturnType<AnthropicEventEncoder["events"]>) => (events.length ? sseEvents(events) : null);
      const chunks = result.chunks;
      // The pipeline always ends a canonical stream with its usage chunk (which closes the message);
      // a stream that ends without one still gets Anthropic's closing events.
      let closed = false;
      const items: AsyncIterator<ChatCompletionChunk | null> = {
        next: async () => {
          const r = await chunks.next();
          if (!r.done) return r;
          if (encoder.ended || closed) return r;
          closed = true;
          return { done: false, value: null };
        },
        return: (value?: unknown) => chunks.return?.(value) ?? Promise.resolve({ done: true, value: undefined }),
      };
      const stream = sseStream<ChatCompletionChunk | null>(items, {
        headers: result.headers,
        encode(chunk) {
          if (chunk === null) return frames(encoder.end(null));
          // A filter's segment events have no place in Anthropic's sequence; its masked text arrives in the deltas.
          if (result.filtered && segmentOf(chunk)) return null;
          return frames(encoder.events(chunk));
        },
        error: errorEvent,
      });
      result.onInterrupt((err) => stream.interrupt(errorEvent(err)));
      return stream.response;
    }
  }
}

/**
 * POST /api/v1/messages/count_tokens: the request's input tokens, counted
 * here with the gateway's tokenizer (OpenAI's encodings, so an estimate for
 * Claude models), without a call upstream.
 */
export function countMessageTokens(principal: Principal, body: MessagesCountRequest): { input_tokens: number } {
  assertModelAllowed(principal, body.model);
  const { request } = fromAnthropicRequest(body);
  return { input_tokens: countChatTokens(request.model, request.messages, request.tools) };
}
