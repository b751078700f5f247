import "server-only";
import { ProviderError, clipMessage, invalidRequest, isRetryableStatus, malformed } from "./errors.ts";
import {
  accountTarget,
  baseHeaders,
  httpError,
  idleTimeout,
  isSuccess,
  readBodyText,
  sendUpstream,
  toNativeStream,
  toUpstreamStream,
  transportError,
  type StreamState,
  type UpstreamCall,
  type UpstreamResponse,
  type UpstreamErrorDetails,
} from "./http.ts";
import { parseEventJson, readSse, type SseEvent } from "./sse.ts";
import { countedUsage } from "./tokenizer.ts";
import { usageChunk } from "./usage.ts";
import type {
  CallContext,
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatContentPart,
  ChatMessage,
  ChatToolCall,
  ResponseToolCall,
  CompleteResult,
  FinishReason,
  NativeAdapter,
  NativeDialect,
  NativeEvent,
  NativeRequest,
  NativeResult,
  NativeStream,
  ProviderAdapter,
  UpstreamAccount,
  UpstreamStream,
  Usage,
} from "./types.ts";

// OpenAI chat completions <-> Anthropic Messages API. The translation is
// pure (exported for unit tests); the adapter below only adds the wire.

const DEFAULT_BASE_URL = "https://api.anthropic.com";
const DEFAULT_VERSION = "2023-06-01";
const DEFAULT_MAX_TOKENS = 4096;
const MAX_COMPLETION_BYTES = 32 * 1024 * 1024;

// ---- Anthropic wire types (the subset we produce or read) -------------------

export type AnthropicTextBlock = { type: "text"; text: string };
export type AnthropicImageBlock = {
  type: "image";
  source: { type: "base64"; media_type: string; data: string } | { type: "url"; url: string };
};
export type AnthropicToolUseBlock = { type: "tool_use"; id: string; name: string; input: unknown };
export type AnthropicToolResultBlock = {
  type: "tool_result";
  tool_use_id: string;
  content: string | Array<AnthropicTextBlock | AnthropicImageBlock>;
};
export type AnthropicBlock = AnthropicTextBlock | AnthropicImageBlock | AnthropicToolUseBlock | AnthropicToolResultBlock;

export type AnthropicMessage = { role: "user" | "assistant"; content: AnthropicBlock[] };

export type AnthropicTool = { name: string; description?: string; input_schema: Record<string, unknown> };
export type AnthropicToolChoice =
  | { type: "auto" | "any" | "none"; disable_parallel_tool_use?: boolean }
  | { type: "tool"; name: string; disable_parallel_tool_use?: boolean };

export type AnthropicRequest = {
  model: string;
  messages: AnthropicMessage[];
  max_tokens: number;
  system?: string;
  stop_sequences?: string[];
  temperature?: number;
  top_p?: number;
  top_k?: number;
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice;
  metadata?: Record<string, unknown>;
  thinking?: unknown;
  stream?: boolean;
};

export type AnthropicUsage = {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
};

export type AnthropicResponse = {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: Array<{ type: string; text?: string; id?: string; name?: string; input?: unknown; thinking?: string }>;
  stop_reason: string | null;
  stop_sequence?: string | null;
  usage?: AnthropicUsage;
};

// ---- Request: OpenAI -> Anthropic ------------------------------------------

function textOf(content: ChatMessage["content"]): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((p) => (p.type === "text" ? p.text : p.type === "refusal" ? p.refusal : ""))
    .filter(Boolean)
    .join("\n");
}

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

function imageBlock(url: string): AnthropicImageBlock {
  const m = DATA_URL.exec(url);
  if (m) return { type: "image", source: { type: "base64", media_type: m[1] ?? "", data: m[2] ?? "" } };
  if (/^https?:\/\//i.test(url)) return { type: "image", source: { type: "url", url } };
  throw invalidRequest("anthropic", "Image parts must be data: or http(s) URLs for Anthropic models");
}

function userBlocks(content: ChatMessage["content"]): Array<AnthropicTextBlock | AnthropicImageBlock> {
  if (typeof content === "string") return content ? [{ type: "text", text: content }] : [];
  if (!Array.isArray(content)) return [];
  return content.flatMap((part: ChatContentPart): Array<AnthropicTextBlock | AnthropicImageBlock> => {
    switch (part.type) {
      case "text":
        return part.text ? [{ type: "text", text: part.text }] : [];
      case "image_url":
        return [imageBlock(part.image_url.url)];
      default:
        throw invalidRequest("anthropic", `Content parts of type "${part.type}" are not supported for Anthropic models`);
    }
  });
}

function toolUseBlock(call: ChatToolCall): AnthropicToolUseBlock {
  let input: unknown = {};
  const raw = call.function.arguments;
  if (raw && raw.trim()) {
    try {
      input = JSON.parse(raw);
    } catch {
      throw invalidRequest("anthropic", `Tool call ${call.id} has arguments that are not valid JSON`);
    }
  }
  return { type: "tool_use", id: call.id, name: call.function.name, input };
}

function toolResultBlock(m: ChatMessage): AnthropicToolResultBlock {
  if (!m.tool_call_id) throw invalidRequest("anthropic", 'A "tool" message needs a tool_call_id');
  const content = typeof m.content === "string" ? m.content : userBlocks(m.content);
  return { type: "tool_result", tool_use_id: m.tool_call_id, content };
}

/** Anthropic wants strictly alternating turns, so same-role neighbours become one turn. */
function pushTurn(turns: AnthropicMessage[], role: "user" | "assistant", blocks: AnthropicBlock[]): void {
  if (blocks.length === 0) return;
  const last = turns[turns.length - 1];
  if (last && last.role === role) last.content.push(...blocks);
  else turns.push({ role, content: blocks });
}

function toolChoice(req: ChatCompletionRequest): AnthropicToolChoice | undefined {
  const choice = req.tool_choice;
  let out: AnthropicToolChoice | undefined;
  if (choice === "auto") out = { type: "auto" };
  else if (choice === "required") out = { type: "any" };
  else if (choice === "none") out = { type: "none" };
  else if (choice && typeof choice === "object") out = { type: "tool", name: choice.function.name };
  if (req.parallel_tool_calls === false && out?.type !== "none") {
    out = { ...(out ?? { type: "auto" }), disable_parallel_tool_use: true };
  }
  return out;
}

/**
 * Translates an OpenAI chat request. OpenAI-only parameters with no Anthropic
 * meaning (n > 1 aside, which is refused) are dropped: seed, logprobs,
 * response_format, penalties, logit_bias.
 */
export function toAnthropicRequest(
  req: ChatCompletionRequest,
  upstreamModel: string,
  settings: UpstreamAccount["settings"] = {},
  stream = false,
): AnthropicRequest {
  if (req.n != null && req.n !== 1) throw invalidRequest("anthropic", "Anthropic models support only n = 1");

  const system: string[] = [];
  const turns: AnthropicMessage[] = [];
  for (const m of req.messages) {
    switch (m.role) {
      case "system":
      case "developer": {
        const text = textOf(m.content);
        if (text) system.push(text);
        break;
      }
      case "user":
        pushTurn(turns, "user", userBlocks(m.content));
        break;
      case "assistant": {
        const text = textOf(m.content);
        const blocks: AnthropicBlock[] = text ? [{ type: "text", text }] : [];
        for (const call of m.tool_calls ?? []) blocks.push(toolUseBlock(call));
        pushTurn(turns, "assistant", blocks);
        break;
      }
      case "tool":
        // Consecutive tool results merge into the single user turn Anthropic expects.
        pushTurn(turns, "user", [toolResultBlock(m)]);
        break;
      default:
        throw invalidRequest("anthropic", `Messages with role "${m.role}" are not supported for Anthropic models`);
    }
  }

  const defaultMax = typeof settings.defaultMaxTokens === "number" ? settings.defaultMaxTokens : DEFAULT_MAX_TOKENS;
  const out: AnthropicRequest = {
    model: upstreamModel,
    messages: turns,
    // Required by Anthropic, optional in OpenAI.
    max_tokens: req.max_completion_tokens ?? req.max_tokens ?? defaultMax,
  };
  if (system.length) out.system = system.join("\n\n");
  if (req.stop != null) {
    const stops = (Array.isArray(req.stop) ? req.stop : [req.stop]).filter((s) => s !== "");
    if (stops.length) out.stop_sequences = stops;
  }
  // OpenAI's range is 0..2, Anthropic's 0..1: clamp rather than have the call rejected.
  if (req.temperature != null) out.temperature = Math.min(Math.max(req.temperature, 0), 1);
  if (req.top_p != null) out.top_p = req.top_p;
  if (typeof req.top_k === "number") out.top_k = req.top_k;
  if (req.thinking !== undefined) out.thinking = req.thinking;
  if (req.tools?.length) {
    out.tools = req.tools.map((t) => ({
      name: t.function.name,
      ...(t.function.description ? { description: t.function.description } : {}),
      input_schema: t.function.parameters ?? { type: "object", properties: {} },
    }));
  }
  const choice = toolChoice(req);
  if (choice && (out.tools || choice.type === "none")) out.tool_choice = choice;
  // OpenAI's `metadata` is for its stored completions; only `user` has an Anthropic home.
  if (req.user) out.metadata = { user_id: req.user };
  if (stream) out.stream = true;
  return out;
}

// ---- Response: Anthropic -> OpenAI -----------------------------------------

// Anthropic stop_reason -> OpenAI finish_reason; the first entry for a finish
// reason is also the way back (anthropic-messages.ts). Others (end_turn,
// stop_sequence, pause_turn) are "stop".
export const STOP_REASONS: ReadonlyArray<readonly [stopReason: string, finish: FinishReason]> = [
  ["end_turn", "stop"],
  ["max_tokens", "length"],
  ["tool_use", "tool_calls"],
  ["refusal", "content_filter"],
];

export function mapStopReason(reason: string | null | undefined): FinishReason {
  return STOP_REASONS.find(([r]) => r === reason)?.[1] ?? "stop";
}

/**
 * Anthropic's input_tokens excludes cached input; OpenAI's prompt_tokens
 * includes it, with the cached share in prompt_tokens_details. Undefined when
 * the upstream reported no usage (we count it instead).
 */
export function toOpenAIUsage(u: AnthropicUsage | undefined): Usage | undefined {
  if (!u || typeof u.input_tokens !== "number" || typeof u.output_tokens !== "number") return undefined;
  const cacheRead = u.cache_read_input_tokens ?? 0;
  const cacheWrite = u.cache_creation_input_tokens ?? 0;
  const prompt = u.input_tokens + cacheRead + cacheWrite;
  const usage: Usage = {
    prompt_tokens: prompt,
    completion_tokens: u.output_tokens,
    total_tokens: prompt + u.output_tokens,
    prompt_tokens_details: { cached_tokens: cacheRead },
  };
  if (cacheWrite > 0 && usage.prompt_tokens_details) usage.prompt_tokens_details.cache_creation_tokens = cacheWrite;
  return usage;
}

export function fromAnthropicMessage(msg: AnthropicResponse, created = Math.floor(Date.now() / 1000)): ChatCompletion {
  let text = "";
  const toolCalls: ResponseToolCall[] = [];
  for (const block of msg.content ?? []) {
    if (block.type === "text" && typeof block.text === "string") text += block.text;
    else if (block.type === "tool_use") {
      toolCalls.push({
        id: block.id ?? "",
        type: "function",
        function: { name: block.name ?? "", arguments: JSON.stringify(block.input ?? {}) },
      });
    }
    // thinking / redacted_thinking blocks have no chat-completions equivalent.
  }
  const message: ChatCompletion["choices"][number]["message"] = {
    role: "assistant",
    content: text || (toolCalls.length ? null : ""),
    refusal: null,
  };
  if (toolCalls.length) message.tool_calls = toolCalls;
  const completion: ChatCompletion = {
    id: msg.id,
    object: "chat.completion",
    created,
    model: msg.model,
    choices: [{ index: 0, message, finish_reason: mapStopReason(msg.stop_reason), logprobs: null }],
  };
  const usage = toOpenAIUsage(msg.usage);
  if (usage) completion.usage = usage;
  return completion;
}

const ERROR_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

export function extractAnthropicError(json: unknown): UpstreamErrorDetails | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const error = (json as { error?: unknown }).error;
  if (typeof error !== "object" || error === null) return undefined;
  const { type, message } = error as { type?: unknown; message?: unknown };
  return {
    message: typeof message === "string" ? message : undefined,
    type: typeof type === "string" ? type : undefined,
  };
}

/** An `error` event inside a 200 stream, e.g. overloaded_error (then 529, retryable). */
export function anthropicStreamError(json: unknown): ProviderError {
  const details = extractAnthropicError(json);
  const status = (details?.type && ERROR_STATUS[details.type]) || 502;
  return new ProviderError(`The anthropic upstream reported ${details?.type ?? "an error"} mid-stream: ${details?.message ?? "unknown"}`, {
    status,
    code: "upstream_stream_error",
    retryable: isRetryableStatus(status),
    provider: "anthropic",
    upstreamMessage: details?.message === undefined ? undefined : clipMessage(details.message),
    upstreamType: details?.type,
  });
}

type StreamEvent = {
  type: string;
  index?: number;
  message?: AnthropicResponse;
  content_block?: { type: string; text?: string; id?: string; name?: string };
  delta?: { type?: string; text?: string; partial_json?: string; thinking?: string; stop_reason?: string | null };
  usage?: AnthropicUsage;
  error?: unknown;
};

/**
 * Stateful Anthropic stream -> OpenAI chunk translation. Tool calls get
 * OpenAI indexes in order of appearance (Anthropic's block index counts text
 * blocks too).
 */
export class AnthropicStreamTranslator {
  id = "";
  model: string;
  created = Math.floor(Date.now() / 1000);
  /** Everything the model produced, for counting usage if the upstream omits it. */
  produced = "";
  private usage: AnthropicUsage = {};
  private stopReason: string | null = null;
  private toolIndexByBlock = new Map<number, number>();

  constructor(model: string) {
    this.model = model;
  }

  private chunk(delta: ChatCompletionChunk["choices"][number]["delta"], finish: FinishReason | null = null): ChatCompletionChunk {
    return {
      id: this.id,
      object: "chat.completion.chunk",
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    };
  }

  private mergeUsage(u: AnthropicUsage | undefined): void {
    if (!u) return;
    for (const [k, v] of Object.entries(u)) if (typeof v === "number") this.usage[k as keyof AnthropicUsage] = v;
  }

  /** Returns the chunks this event produces (often none). */
  translate(event: StreamEvent): ChatCompletionChunk[] {
    switch (event.type) {
      case "message_start": {
        const m = event.message;
        if (m?.id) this.id = m.id;
        if (m?.model) this.model = m.model;
        this.mergeUsage(m?.usage);
        return [this.chunk({ role: "assistant", content: "" })];
      }
      case "content_block_start": {
        const block = event.content_block;
        if (block?.type === "text" && block.text) {
          this.produced += block.text;
          return [this.chunk({ content: block.text })];
        }
        if (block?.type === "tool_use") {
          const index = this.toolIndexByBlock.size;
          this.toolIndexByBlock.set(event.index ?? index, index);
          this.produced += block.name ?? "";
          return [
            this.chunk({
              tool_calls: [{ index, id: block.id ?? "", type: "function", function: { name: block.name ?? "", arguments: "" } }],
            }),
          ];
        }
        return [];
      }
      case "content_block_delta": {
        const delta = event.delta;
        if (delta?.type === "text_delta" && delta.text) {
          this.produced += delta.text;
          return [this.chunk({ content: delta.text })];
        }
        if (delta?.type === "input_json_delta" && delta.partial_json) {
          const index = this.toolIndexByBlock.get(event.index ?? -1);
          if (index === undefined) return [];
          this.produced += delta.partial_json;
          return [this.chunk({ tool_calls: [{ index, function: { arguments: delta.partial_json } }] })];
        }
        // thinking_delta, signature_delta, citations_delta: nothing to say in chat completions.
        return [];
      }
      case "message_delta":
        if (event.delta?.stop_reason !== undefined) this.stopReason = event.delta.stop_reason ?? null;
        this.mergeUsage(event.usage);
        return [];
      case "message_stop":
        return [this.chunk({}, mapStopReason(this.stopReason))];
      case "error":
        throw anthropicStreamError(event);
      default:
        // ping, content_block_stop, and event types added after this was written.
        return [];
    }
  }

  /** The upstream's usage, or undefined when it did not report enough to use. */
  reportedUsage(): Usage | undefined {
    return toOpenAIUsage(this.usage);
  }
}

// ---- The adapter -----------------------------------------------------------

function target(ctx: CallContext) {
  const { account } = ctx;
  const base = (account.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
  const version = account.settings.anthropicVersion;
  const beta = account.settings.anthropicBeta;
  return {
    // Accept a base URL given with or without the /v1 suffix.
    url: new URL(base.endsWith("/v1") ? `${base}/messages` : `${base}/v1/messages`),
    headers: (stream: boolean) => ({
      ...baseHeaders({ ctx }, stream),
      "anthropic-version": typeof version === "string" && version ? version : DEFAULT_VERSION,
      ...(typeof beta === "string" && beta ? { "anthropic-beta": beta } : {}),
      ...(account.apiKey ? { "x-api-key": account.apiKey } : {}),
    }),
  };
}

function buildCall(req: ChatCompletionRequest, ctx: CallContext, stream: boolean): UpstreamCall {
  const { url, headers } = accountTarget(ctx, target);
  return {
    provider: "anthropic",
    url,
    headers: stream ? headers.stream : headers.complete,
    body: JSON.stringify(toAnthropicRequest(req, ctx.upstreamModel, ctx.account.settings, stream)),
    ctx,
  };
}

function completionText(c: ChatCompletion): string {
  const m = c.choices[0]?.message;
  let text = m?.content ?? "";
  for (const t of m?.tool_calls ?? []) text += t.function.name + t.function.arguments;
  return text;
}

function countUsage(req: ChatCompletionRequest, model: string, produced: string): Usage {
  return countedUsage(model, req.messages, req.tools, produced);
}

async function complete(req: ChatCompletionRequest, ctx: CallContext): Promise<CompleteResult> {
  const call = buildCall(req, ctx, false);
  const res = await sendUpstream(call);
  if (!isSuccess(res.status)) throw await httpError(res, call, extractAnthropicError);
  const text = await readBodyText(res, call, MAX_COMPLETION_BYTES);
  let msg: AnthropicResponse;
  try {
    msg = JSON.parse(text) as AnthropicResponse;
  } catch (err) {
    throw malformed("anthropic", "response body is not JSON", err);
  }
  if ((msg as { type?: string }).type === "error") throw anthropicStreamError(msg);
  if (!msg || !Array.isArray(msg.content)) throw malformed("anthropic", "response has no content array");
  const completion = fromAnthropicMessage(msg);
  const reported = completion.usage;
  const usage = reported ?? countUsage(req, ctx.upstreamModel, completionText(completion));
  completion.usage = usage;
  return { completion, usage, usageCounted: !reported, rateLimit: res.rateLimit };
}

/** The events of an Anthropic Messages stream, translated or relayed alike: the terminal event, idle timeout and transport errors. */
function messageEvents(res: UpstreamResponse, call: UpstreamCall, ctx: CallContext, state: StreamState) {
  return readSse(res.body, {
    provider: "anthropic",
    isTerminal: (e) => e.event === "message_stop" || (e.event === undefined && e.data.includes('"message_stop"')),
    idleMs: ctx.account.timeouts.idleMs,
    idleError: () => idleTimeout(call),
    mapError: (err) => transportError(err, call),
    onTerminal: () => (state.finished = true),
  });
}

async function stream(req: ChatCompletionRequest, ctx: CallContext): Promise<UpstreamStream> {
  const call = buildCall(req, ctx, true);
  const res = await sendUpstream(call);
  if (!isSuccess(res.status)) throw await httpError(res, call, extractAnthropicError);
  const state: StreamState = { finished: false, usageCounted: false };
  const events = messageEvents(res, call, ctx, state);
  return toUpstreamStream(res, anthropicChunks(events, req, ctx, state), state);
}

async function* anthropicChunks(
  events: AsyncGenerator<SseEvent, void, undefined>,
  req: ChatCompletionRequest,
  ctx: CallContext,
  state: StreamState,
): AsyncGenerator<ChatCompletionChunk, void, undefined> {
  const translator = new AnthropicStreamTranslator(ctx.upstreamModel);
  for await (const event of events) {
    const parsed = parseEventJson<StreamEvent>(event, "anthropic");
    if (typeof parsed !== "object" || parsed === null || typeof parsed.type !== "string") {
      throw malformed("anthropic", `stream event without a type: ${event.data.slice(0, 120)}`);
    }
    for (const chunk of translator.translate(parsed)) yield chunk;
  }
  const reported = translator.reportedUsage();
  state.usageCounted = !reported;
  yield usageChunk(translator, ctx.upstreamModel, reported ?? countUsage(req, ctx.upstreamModel, translator.produced));
}

// ---- Native passthrough: Anthropic Messages clients ---------------------------
//
// The client's body goes upstream as sent, only `model` replaced by the
// account's, so fields and beta features we do not know survive. The client's
// anthropic-version wins over the account's (the body is in the client's
// version); its anthropic-beta flags are added to the account's.

/** Comma-separated beta flags of both, each once, the account's first. */
export function mergeBetas(account: string | undefined, client: string | undefined): string | undefined {
  const all = [...(account ?? "").split(","), ...(client ?? "").split(",")].map((b) => b.trim()).filter(Boolean);
  return all.length ? [...new Set(all)].join(",") : undefined;
}

function nativeCall(req: NativeRequest, ctx: CallContext, stream: boolean): UpstreamCall {
  const { url, headers: shared } = accountTarget(ctx, target);
  let headers: Record<string, string> = stream ? shared.stream : shared.complete;
  const version = req.headers?.["anthropic-version"];
  const beta = req.headers?.["anthropic-beta"];
  if (version || beta) {
    headers = { ...headers };
    if (version) headers["anthropic-version"] = version;
    const betas = mergeBetas(headers["anthropic-beta"], beta);
    if (betas) headers["anthropic-beta"] = betas;
  }
  const body: Record<string, unknown> = { ...req.body, model: ctx.upstreamModel };
  if (stream) body.stream = true;
  else delete body.stream;
  return { provider: "anthropic", url, headers, body: JSON.stringify(body), ctx };
}

/** What a message's content blocks say, as text (for counting and the request log). */
function blocksText(content: AnthropicResponse["content"]): string {
  let text = "";
  for (const b of content) {
    if (b.type === "text" && typeof b.text === "string") text += b.text;
    else if (b.type === "tool_use") text += (b.name ?? "") + JSON.stringify(b.input ?? {});
    else if (b.type === "thinking" && typeof b.thinking === "string") text += b.thinking;
  }
  return text;
}

function assertDialect(dialect: NativeDialect): void {
  if (dialect !== "anthropic-messages") throw invalidRequest("anthropic", `Anthropic accounts do not speak ${dialect}`);
}

async function nativeComplete(dialect: NativeDialect, req: NativeRequest, ctx: CallContext): Promise<NativeResult> {
  assertDialect(dialect);
  const call = nativeCall(req, ctx, false);
  const res = await sendUpstream(call);
  if (!isSuccess(res.status)) throw await httpError(res, call, extractAnthropicError);
  const text = await readBodyText(res, call, MAX_COMPLETION_BYTES);
  let msg: AnthropicResponse;
  try {
    msg = JSON.parse(text) as AnthropicResponse;
  } catch (err) {
    throw malformed("anthropic", "response body is not JSON", err);
  }
  if ((msg as { type?: string } | null)?.type === "error") throw anthropicStreamError(msg);
  if (!msg || !Array.isArray(msg.content)) throw malformed("anthropic", "response has no content array");
  return { body: msg, usage: toOpenAIUsage(msg.usage) ?? null, text: blocksText(msg.content), rateLimit: res.rateLimit };
}

async function nativeStream(dialect: NativeDialect, req: NativeRequest, ctx: CallContext): Promise<NativeStream> {
  assertDialect(dialect);
  const call = nativeCall(req, ctx, true);
  const res = await sendUpstream(call);
  if (!isSuccess(res.status)) throw await httpError(res, call, extractAnthropicError);
  const state: StreamState = { finished: false, usageCounted: false };
  const sse = messageEvents(res, call, ctx, state);
  // The translator is only read for what it learns (usage, produced text) and throws on an upstream error event.
  const seen = new AnthropicStreamTranslator(ctx.upstreamModel);
  async function* relay(): AsyncGenerator<NativeEvent, void, undefined> {
    for await (const e of sse) {
      const parsed = parseEventJson<StreamEvent>(e, "anthropic");
      if (typeof parsed !== "object" || parsed === null || typeof parsed.type !== "string") {
        throw malformed("anthropic", `stream event without a type: ${e.data.slice(0, 120)}`);
      }
      if (parsed.type === "content_block_delta" && parsed.delta?.type === "thinking_delta") {
        seen.produced += parsed.delta.thinking ?? "";
      }
      seen.translate(parsed);
      yield e.event === undefined ? { data: e.data } : { event: e.event, data: e.data };
    }
  }
  return toNativeStream(res, relay(), state, { usage: () => seen.reportedUsage() ?? null, text: () => seen.produced });
}

const native: NativeAdapter = {
  supports: (dialect) => dialect === "anthropic-messages",
  complete: nativeComplete,
  stream: nativeStream,
};

export const anthropicAdapter: ProviderAdapter = { kind: "anthropic", complete, stream, native };
