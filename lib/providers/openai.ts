import "server-only";
import { ProviderError, invalidRequest, isRetryableStatus, malformed, scrubSecrets } from "./errors.ts";
import {
  accountTarget,
  baseHeaders,
  httpError,
  idleTimeout,
  isEventStream,
  isSuccess,
  readBodyText,
  sendUpstream,
  toNativeStream,
  toUpstreamStream,
  transportError,
  type StreamState,
  type UpstreamCall,
  type UpstreamErrorDetails,
} from "./http.ts";
import { parseEventJson, readSse } from "./sse.ts";
import { countedUsage, countEmbeddingTokens } from "./tokenizer.ts";
import { normaliseUsage, usageChunk } from "./usage.ts";
import type {
  CallContext,
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  CompleteResult,
  NativeAdapter,
  NativeDialect,
  NativeEvent,
  NativeRequest,
  NativeResult,
  NativeStream,
  EmbeddingList,
  EmbeddingRequest,
  EmbedResult,
  ProviderAdapter,
  UpstreamAccount,
  UpstreamStream,
  Usage,
} from "./types.ts";

// OpenAI, any OpenAI-compatible server (vLLM, Ollama, LM Studio, OpenRouter...)
// and Azure OpenAI share one wire format; only the URL and auth header differ.

const DEFAULT_BASE_URL = "https://api.openai.com/v1";
const DEFAULT_AZURE_API_VERSION = "2024-10-21";
const MAX_COMPLETION_BYTES = 32 * 1024 * 1024;

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

export function chatCompletionsUrl(ctx: CallContext): URL {
  return endpointUrl(ctx, "chat/completions");
}

/** `path` under the account's base URL (Azure: under its deployment URL, with the api-version). */
function endpointUrl(ctx: CallContext, path: string): URL {
  const { account } = ctx;
  if (account.provider === "azure") {
    if (!account.baseUrl) {
      throw new ProviderError(`Azure account "${account.name}" has no deployment URL`, {
        status: 500,
        code: "provider_misconfigured",
        retryable: false,
        provider: "azure",
      });
    }
    const url = new URL(`${trimSlash(account.baseUrl)}/${path}`);
    const version = account.settings.apiVersion;
    url.searchParams.set("api-version", typeof version === "string" && version ? version : DEFAULT_AZURE_API_VERSION);
    return url;
  }
  const base = new URL(trimSlash(account.baseUrl ?? DEFAULT_BASE_URL));
  const url = new URL(`${base.origin}${trimSlash(base.pathname)}/${path}`);
  url.search = base.search;
  return url;
}

function authHeaders(ctx: CallContext): Record<string, string> {
  const { account } = ctx;
  const headers: Record<string, string> = {};
  if (account.provider === "azure") {
    if (account.apiKey) headers["api-key"] = account.apiKey;
    return headers;
  }
  // Local servers (Ollama, vLLM) often need no key at all.
  if (account.apiKey) headers.authorization = `Bearer ${account.apiKey}`;
  const { organization, project } = account.settings;
  if (typeof organization === "string" && organization) headers["openai-organization"] = organization;
  if (typeof project === "string" && project) headers["openai-project"] = project;
  return headers;
}

/**
 * The client's body with every field kept (tools, response_format, unknown
 * extensions...), the model swapped for the account's, and for streams
 * `include_usage` forced on so we can bill from the upstream's own numbers.
 */
export function toOpenAIBody(req: ChatCompletionRequest, upstreamModel: string, stream: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { ...req, model: upstreamModel };
  if (stream) {
    body.stream = true;
    body.stream_options = { ...(req.stream_options ?? {}), include_usage: true };
  } else {
    // OpenAI rejects stream_options on a non-streamed request.
    delete body.stream;
    delete body.stream_options;
  }
  return body;
}

const target = (ctx: CallContext) => ({ url: chatCompletionsUrl(ctx), headers: (stream: boolean) => ({ ...baseHeaders({ ctx }, stream), ...authHeaders(ctx) }) });

function buildCall(req: ChatCompletionRequest, ctx: CallContext, stream: boolean): UpstreamCall {
  const { url, headers } = accountTarget(ctx, target);
  return {
    provider: ctx.account.provider === "azure" ? "azure" : "openai",
    url,
    headers: stream ? headers.stream : headers.complete,
    body: JSON.stringify(toOpenAIBody(req, ctx.upstreamModel, stream)),
    ctx,
  };
}

export function extractOpenAIError(json: unknown): UpstreamErrorDetails | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const error = (json as { error?: unknown }).error;
  if (typeof error === "string") return { message: error };
  if (typeof error !== "object" || error === null) {
    const message = (json as { message?: unknown }).message;
    return typeof message === "string" ? { message } : undefined;
  }
  const { message, type, code } = error as { message?: unknown; type?: unknown; code?: unknown };
  return {
    message: typeof message === "string" ? message : undefined,
    type: typeof code === "string" ? code : typeof type === "string" ? type : undefined,
  };
}

/** Everything the model produced, as text, for counting usage ourselves. */
function completionTextOf(completion: ChatCompletion): string {
  let text = "";
  for (const choice of completion.choices) {
    const m = choice.message;
    if (typeof m?.content === "string") text += m.content;
    if (typeof m?.refusal === "string") text += m.refusal;
    for (const call of m?.tool_calls ?? []) text += call.function.name + call.function.arguments;
  }
  return text;
}

/**
 * An error object inside a 200 response (mid-stream, or as the whole body from
 * some compatible servers). Its type is the only hint at what went wrong.
 */
function streamError(json: unknown, call: UpstreamCall): ProviderError {
  const details = extractOpenAIError(json);
  const hint = details?.type ?? "";
  const status = /rate_limit|quota/.test(hint) ? 429 : /invalid_request|context_length|content_filter/.test(hint) ? 400 : 502;
  return new ProviderError(`The ${call.provider} upstream reported an error mid-response: ${details?.message ?? "unknown"}`, {
    status,
    code: "upstream_stream_error",
    retryable: isRetryableStatus(status),
    provider: call.provider,
    upstreamMessage: details?.message === undefined ? undefined : scrubSecrets(details.message, call.ctx.account.apiKey),
    upstreamType: details?.type,
  });
}

function parseCompletion(text: string, call: UpstreamCall): ChatCompletion {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw malformed(call.provider, "response body is not JSON", err);
  }
  if (typeof json === "object" && json !== null && "error" in json && (json as { error?: unknown }).error) {
    throw streamError(json, call);
  }
  if (typeof json !== "object" || json === null || !Array.isArray((json as { choices?: unknown }).choices)) {
    throw malformed(call.provider, "response has no choices array");
  }
  return json as ChatCompletion;
}

async function complete(req: ChatCompletionRequest, ctx: CallContext): Promise<CompleteResult> {
  const call = buildCall(req, ctx, false);
  const res = await sendUpstream(call);
  if (!isSuccess(res.status)) throw await httpError(res, call, extractOpenAIError);
  const completion = parseCompletion(await readBodyText(res, call, MAX_COMPLETION_BYTES), call);
  const reported = normaliseUsage(completion.usage);
  const usage = reported ?? countedUsage(ctx.upstreamModel, req.messages, req.tools, completionTextOf(completion));
  completion.usage = usage;
  return { completion, usage, usageCounted: !reported, rateLimit: res.rateLimit };
}

async function stream(req: ChatCompletionRequest, ctx: CallContext): Promise<UpstreamStream> {
  const call = buildCall(req, ctx, true);
  const res = await sendUpstream(call);
  if (!isSuccess(res.status)) throw await httpError(res, call, extractOpenAIError);
  const state: StreamState = { finished: false, usageCounted: false };
  const source = isEventStream(res)
    ? openaiChunks(
        readSse(res.body, {
          provider: call.provider,
          isTerminal: (e) => e.data === "[DONE]",
          idleMs: ctx.account.timeouts.idleMs,
          idleError: () => idleTimeout(call),
          mapError: (err) => transportError(err, call),
          onTerminal: () => (state.finished = true),
        }),
        req,
        call,
        state,
      )
    : wholeCompletionAsChunks(res, req, call, state);
  return toUpstreamStream(res, source, state);
}

async function* openaiChunks(
  events: AsyncGenerator<{ event: string | undefined; data: string }, void, undefined>,
  req: ChatCompletionRequest,
  call: UpstreamCall,
  state: StreamState,
): AsyncGenerator<ChatCompletionChunk, void, undefined> {
  let usage: Usage | undefined;
  let last: ChatCompletionChunk | undefined;
  // Kept only in case the upstream never reports usage and we must count.
  let produced = "";
  for await (const event of events) {
    if (event.data === "[DONE]") continue;
    const chunk = parseEventJson<ChatCompletionChunk & { error?: unknown }>(event, call.provider);
    if (chunk.error) throw streamError(chunk, call);
    if (chunk.usage) usage = normaliseUsage(chunk.usage) ?? usage;
    // Upstreams send `usage: null` on every chunk, or usage on the
    // finish_reason chunk; we move it to one trailing usage-only chunk.
    // Cleared, not deleted: a delete turns the object into a slow dictionary
    // for every later read and for JSON.stringify; undefined is left out of JSON.
    if (chunk.usage !== undefined) chunk.usage = undefined;
    if (!Array.isArray(chunk.choices)) {
      if (usage) continue;
      throw malformed(call.provider, "stream chunk has no choices array");
    }
    last = chunk;
    if (chunk.choices.length === 0) continue;
    for (const choice of chunk.choices) {
      const d = choice.delta;
      if (!d) continue;
      if (typeof d.content === "string") produced += d.content;
      if (typeof d.refusal === "string") produced += d.refusal;
      for (const t of d.tool_calls ?? []) produced += (t.function?.name ?? "") + (t.function?.arguments ?? "");
    }
    yield chunk;
  }
  state.usageCounted = !usage;
  yield usageChunk(
    last,
    call.ctx.upstreamModel,
    usage ?? countedUsage(call.ctx.upstreamModel, req.messages, req.tools, produced),
  );
}

/**
 * Some OpenAI-compatible servers ignore `stream: true` and answer with one
 * JSON completion. Replay it as chunks so the gateway sees one shape.
 */
async function* wholeCompletionAsChunks(
  res: Awaited<ReturnType<typeof sendUpstream>>,
  req: ChatCompletionRequest,
  call: UpstreamCall,
  state: StreamState,
): AsyncGenerator<ChatCompletionChunk, void, undefined> {
  const completion = parseCompletion(await readBodyText(res, call, MAX_COMPLETION_BYTES), call);
  state.finished = true;
  const base = { id: completion.id, object: "chat.completion.chunk" as const, created: completion.created, model: completion.model };
  for (const choice of completion.choices) {
    const { role: _role, tool_calls: toolCalls, ...message } = choice.message;
    const delta: ChatCompletionChunk["choices"][number]["delta"] = { role: "assistant", ...message };
    if (toolCalls?.length) delta.tool_calls = toolCalls.map((t, index) => ({ index, ...t }));
    yield { ...base, choices: [{ index: choice.index, delta, finish_reason: null }] };
    yield { ...base, choices: [{ index: choice.index, delta: {}, finish_reason: choice.finish_reason ?? "stop" }] };
  }
  const reported = normaliseUsage(completion.usage);
  state.usageCounted = !reported;
  yield usageChunk(
    base,
    call.ctx.upstreamModel,
    reported ?? countedUsage(call.ctx.upstreamModel, req.messages, req.tools, completionTextOf(completion)),
  );
}

// ---- Native passthrough: OpenAI Responses clients -----------------------------
//
// An OpenAI account whose upstream serves /v1/responses gets a Responses client's
// body as sent (only `model` replaced), so built-in tools, reasoning and fields
// we do not know survive. The account setting `responsesApi` (boolean) decides;
// unset, it is on for api.openai.com and off for every other base URL (most
// OpenAI-compatible servers serve chat completions only).

/** Whether an OpenAI account takes Responses requests natively. */
export function servesResponses(account: UpstreamAccount): boolean {
  if (account.provider !== "openai") return false;
  const setting = account.settings.responsesApi;
  if (typeof setting === "boolean") return setting;
  try {
    return new URL(account.baseUrl ?? DEFAULT_BASE_URL).hostname === "api.openai.com";
  } catch {
    return false;
  }
}

function responsesUrl(ctx: CallContext): URL {
  const base = new URL(trimSlash(ctx.account.baseUrl ?? DEFAULT_BASE_URL));
  const url = new URL(`${base.origin}${trimSlash(base.pathname)}/responses`);
  url.search = base.search;
  return url;
}

// Per account, like accountTarget's chat URL and headers (which that cache keeps for the chat route).
const responsesTargets = new WeakMap<UpstreamAccount, { url: URL; stream: Record<string, string>; complete: Record<string, string> }>();

function nativeCall(req: NativeRequest, ctx: CallContext, stream: boolean): UpstreamCall {
  let t = responsesTargets.get(ctx.account);
  if (!t) {
    t = { url: responsesUrl(ctx), stream: { ...baseHeaders({ ctx }, true), ...authHeaders(ctx) }, complete: { ...baseHeaders({ ctx }, false), ...authHeaders(ctx) } };
    responsesTargets.set(ctx.account, t);
  }
  const body: Record<string, unknown> = { ...req.body, model: ctx.upstreamModel };
  if (stream) body.stream = true;
  else delete body.stream;
  return { provider: "openai", url: t.url, headers: stream ? t.stream : t.complete, body: JSON.stringify(body), ctx };
}

type ResponsesUsage = {
  input_tokens?: number; output_tokens?: number; total_tokens?: number;
  input_tokens_details?: { cached_tokens?: number }; output_tokens_details?: { reasoning_tokens?: number };
};

/** A Responses usage object in the canonical (chat) shape; null without both counts. */
export function fromResponsesUsage(u: ResponsesUsage | null | undefined): Usage | null {
  if (!u || typeof u.input_tokens !== "number" || typeof u.output_tokens !== "number") return null;
  const usage: Usage = { prompt_tokens: u.input_tokens, completion_tokens: u.output_tokens, total_tokens: u.total_tokens ?? u.input_tokens + u.output_tokens };
  if (u.input_tokens_details?.cached_tokens) usage.prompt_tokens_details = { cached_tokens: u.input_tokens_details.cached_tokens };
  if (u.output_tokens_details?.reasoning_tokens) usage.completion_tokens_details = { reasoning_tokens: u.output_tokens_details.reasoning_tokens };
  return usage;
}

type ResponsesItem = { type?: string; name?: string; arguments?: string; content?: { type?: string; text?: string; refusal?: string }[] };

/** What a Response's output says, as text (for counting and the request log). */
function responsesText(output: unknown): string {
  let text = "";
  if (!Array.isArray(output)) return text;
  for (const item of output as ResponsesItem[]) {
    if (item.type === "message") for (const p of item.content ?? []) text += p.text ?? p.refusal ?? "";
    else if (item.type === "function_call") text += (item.name ?? "") + (item.arguments ?? "");
  }
  return text;
}

function assertResponses(dialect: NativeDialect): void {
  if (dialect !== "openai-responses") throw invalidRequest("openai", `OpenAI accounts do not speak ${dialect}`);
}

async function nativeComplete(dialect: NativeDialect, req: NativeRequest, ctx: CallContext): Promise<NativeResult> {
  assertResponses(dialect);
  const call = nativeCall(req, ctx, false);
  const res = await sendUpstream(call);
  if (!isSuccess(res.status)) throw await httpError(res, call, extractOpenAIError);
  let body: { output?: unknown; usage?: ResponsesUsage; error?: unknown; status?: string };
  try {
    body = JSON.parse(await readBodyText(res, call, MAX_COMPLETION_BYTES)) as typeof body;
  } catch (err) {
    if (err instanceof ProviderError) throw err;
    throw malformed("openai", "response body is not JSON", err);
  }
  if (typeof body !== "object" || body === null || !Array.isArray(body.output)) {
    if (body && typeof body === "object" && body.error) throw streamError(body, call);
    throw malformed("openai", "response has no output array");
  }
  return { body, usage: fromResponsesUsage(body.usage), text: responsesText(body.output), rateLimit: res.rateLimit };
}

type ResponsesEvent = { type?: string; delta?: string; response?: { usage?: ResponsesUsage; error?: { code?: string; message?: string } | null }; code?: string; message?: string; error?: unknown };

async function nativeStream(dialect: NativeDialect, req: NativeRequest, ctx: CallContext): Promise<NativeStream> {
  assertResponses(dialect);
  const call = nativeCall(req, ctx, true);
  const res = await sendUpstream(call);
  if (!isSuccess(res.status)) throw await httpError(res, call, extractOpenAIError);
  const state: StreamState = { finished: false, usageCounted: false };
  const terminal = /"type":\s*"response\.(completed|incomplete|failed)"/;
  const sse = readSse(res.body, {
    provider: "openai",
    isTerminal: (e) => e.event === "response.completed" || e.event === "response.incomplete" || e.event === "response.failed" || (e.event === undefined && terminal.test(e.data)),
    idleMs: ctx.account.timeouts.idleMs,
    idleError: () => idleTimeout(call),
    mapError: (err) => transportError(err, call),
    onTerminal: () => (state.finished = true),
  });
  let usage: Usage | null = null;
  let produced = "";
  async function* relay(): AsyncGenerator<NativeEvent, void, undefined> {
    for await (const e of sse) {
      const parsed = parseEventJson<ResponsesEvent>(e, "openai");
      if (typeof parsed !== "object" || parsed === null || typeof parsed.type !== "string") {
        throw malformed("openai", `stream event without a type: ${e.data.slice(0, 120)}`);
      }
      // An upstream failure is the gateway's to report, in the client's dialect, like any other mid-stream error.
      if (parsed.type === "error") throw streamError({ error: parsed.error ?? { message: parsed.message, code: parsed.code } }, call);
      if (parsed.type === "response.failed") throw streamError({ error: parsed.response?.error ?? { message: "response.failed" } }, call);
      if (parsed.type === "response.output_text.delta" || parsed.type === "response.function_call_arguments.delta") produced += parsed.delta ?? "";
      if (parsed.type === "response.completed" || parsed.type === "response.incomplete") usage = fromResponsesUsage(parsed.response?.usage);
      yield e.event === undefined ? { data: e.data } : { event: e.event, data: e.data };
    }
  }
  return toNativeStream(res, relay(), state, { usage: () => usage, text: () => produced });
}

const native: NativeAdapter = {
  supports: (dialect, account) => dialect === "openai-responses" && servesResponses(account),
  complete: nativeComplete,
  stream: nativeStream,
};

// ---- Embeddings -------------------------------------------------------------
// POST {base}/embeddings (Azure: {deployment}/embeddings?api-version=…) with the
// client's body as sent, the model swapped for the account's. The encoding the
// client asked for is the upstream's to produce, so vectors pass through as
// they come; only the usage is checked (and counted when missing).

// 2,048 inputs of 3,072 floats as JSON are ~130 MB.
const MAX_EMBEDDINGS_BYTES = 192 * 1024 * 1024;
const embeddingTargets = new WeakMap<CallContext["account"], { url: URL; headers: Readonly<Record<string, string>> }>();

function embeddingsTarget(ctx: CallContext): { url: URL; headers: Readonly<Record<string, string>> } {
  let t = embeddingTargets.get(ctx.account);
  if (!t) {
    t = { url: endpointUrl(ctx, "embeddings"), headers: Object.freeze({ ...baseHeaders({ ctx }, false), ...authHeaders(ctx) }) };
    embeddingTargets.set(ctx.account, t);
  }
  return t;
}

function parseEmbeddings(text: string, call: UpstreamCall): EmbeddingList {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw malformed(call.provider, "response body is not JSON", err);
  }
  if (typeof json === "object" && json !== null && "error" in json && (json as { error?: unknown }).error) throw streamError(json, call);
  if (typeof json !== "object" || json === null || !Array.isArray((json as { data?: unknown }).data)) {
    throw malformed(call.provider, "embeddings response has no data array");
  }
  return json as EmbeddingList;
}

async function embed(req: EmbeddingRequest, ctx: CallContext): Promise<EmbedResult> {
  const { url, headers } = embeddingsTarget(ctx);
  const call: UpstreamCall = {
    provider: ctx.account.provider === "azure" ? "azure" : "openai",
    url,
    headers,
    body: JSON.stringify({ ...req, model: ctx.upstreamModel }),
    ctx,
  };
  const res = await sendUpstream(call);
  if (!isSuccess(res.status)) throw await httpError(res, call, extractOpenAIError);
  const response = parseEmbeddings(await readBodyText(res, call, MAX_EMBEDDINGS_BYTES), call);
  const reported = response.usage?.prompt_tokens;
  const counted = typeof reported !== "number" || !Number.isFinite(reported) || reported < 0;
  const promptTokens = counted ? countEmbeddingTokens(ctx.upstreamModel, req.input) : Math.round(reported);
  response.object = "list";
  response.usage = { ...response.usage, prompt_tokens: promptTokens, total_tokens: promptTokens };
  return { response, usageCounted: counted, rateLimit: res.rateLimit };
}

function adapter(kind: "openai" | "azure"): ProviderAdapter {
  // Azure serves the Responses API at another path and api-version: translated for now.
  return kind === "openai" ? { kind, complete, stream, embed, native } : { kind, complete, stream, embed };
}

export const openaiAdapter = adapter("openai");
export const azureAdapter = adapter("azure");
