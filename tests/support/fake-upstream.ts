import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

// A real HTTP server speaking just enough OpenAI and Anthropic for the
// gateway's tests: stream and non-stream completions with exact, chosen token
// counts, and every failure an upstream can produce (status codes, slow
// headers, stalls, resets, garbage, truncation, hangs). node:http only, so it
// behaves like a remote server down to the socket, and handles hundreds of
// concurrent connections.
//
// Routes (every route consumes the next queued behaviour):
//   POST  …/chat/completions   OpenAI (also Azure's /openai/deployments/<d>/chat/completions)
//   POST  /v1/messages          Anthropic Messages
//   POST  …/responses           OpenAI Responses (store is not kept: previous_response_id is a 400)
//   GET   /v1/models            OpenAI model list
//   POST  …/embeddings          OpenAI embeddings (also Azure's deployment URL): vectors of
//                               `dimensions` values (default 8), float or base64 as asked

export type FakeToolCall = { id?: string; name: string; arguments: string };

export type FakeBehaviour = {
  /** Respond with this status. >= 300 sends an error body in the route's format (or `body`). */
  status?: number;
  /** Exact response body (object → JSON, string → raw), replacing the normal response. */
  body?: unknown;
  /** Sets `retry-after` (seconds, or any string such as an HTTP date). */
  retryAfter?: number | string;
  headers?: Record<string, string>;
  /** Wait this long before sending response headers. */
  headerDelayMs?: number;
  /** Wait this long between stream events (the first is sent at once). */
  chunkDelayMs?: number;
  /** Reset the socket after N stream events (non-stream: after part of the body). */
  resetAfterChunks?: number;
  /** After N stream events, send a data line that is not JSON (non-stream: a non-JSON body). */
  malformedAfterChunks?: number;
  /** After N stream events, send the provider's in-stream error event and end. */
  streamErrorAfterChunks?: number;
  /** Error type for streamErrorAfterChunks (default server_error / overloaded_error). */
  streamErrorType?: string;
  /** Never respond; the request stays open until the client gives up. */
  hang?: boolean;
  /** Report no usage anywhere (OpenAI: no usage chunk/field; Anthropic: no usage objects). */
  omitUsage?: boolean;
  /** End the stream without [DONE] (OpenAI) or message_stop (Anthropic). */
  omitDone?: boolean;
  /** Exact completion text, streamed word by word (" word" pieces). */
  content?: string;
  /** Usage reports N completion tokens; without `content`, the text is N pieces of exactly one token (" tok"). */
  completionTokens?: number;
  /** Reported prompt tokens (Anthropic: input_tokens, excluding cache). Default 10. */
  promptTokens?: number;
  /** Reported cached prompt tokens (OpenAI cached_tokens / Anthropic cache_read_input_tokens). */
  cachedTokens?: number;
  /** Tool calls to return after any text. */
  toolCalls?: FakeToolCall[];
  /** Override finish_reason (OpenAI) / stop_reason (Anthropic). */
  finishReason?: string;
};

export type RecordedRequest = {
  id: number;
  method: string;
  /** Path including the query string. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, the raw string if not JSON, undefined if empty. Loosely typed for test assertions. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  api: "openai" | "anthropic" | "responses" | "models" | "openai-embeddings" | "unknown";
  behaviour: FakeBehaviour;
  /** The client's port: equal ports on sequential requests mean a reused keep-alive connection. */
  remotePort: number;
  /** Date.now() when the request arrived. */
  startedAt: number;
  /** Date.now() when the response was fully sent. */
  finishedAt?: number;
  /** The client closed the connection before the response was complete. */
  aborted: boolean;
  abortedAt?: number;
  /** Stream events (or body writes) sent so far: shows how far backpressure let us get. */
  chunksSent: number;
  /** Total stream events this response would have had. */
  chunksPlanned: number;
};

export type FakeUpstreamOptions = {
  /** When set, requests must carry it (Bearer, api-key or x-api-key) or get a 401. */
  apiKey?: string;
  models?: string[];
  defaultBehaviour?: FakeBehaviour;
};

export type FakeUpstream = {
  /** http://127.0.0.1:<port>, the Anthropic base URL. */
  url: string;
  /** url + "/v1", the OpenAI base URL. */
  openaiBaseUrl: string;
  requests: RecordedRequest[];
  /** One-shot behaviours, consumed in order by the next requests. */
  enqueue(behaviour: FakeBehaviour | FakeBehaviour[]): void;
  /** The behaviour of requests when the queue is empty. */
  setDefault(behaviour: FakeBehaviour): void;
  /** Clears recorded requests, the queue, the default behaviour and the counters. */
  reset(): void;
  close(): Promise<void>;
  /** Requests whose response is not finished (or aborted) yet. */
  readonly inFlight: number;
  readonly abortedCount: number;
  /**
   * Resolves with the next aborted request not already returned by an earlier
   * call (so an abort that happened just before the call still counts);
   * rejects after timeoutMs.
   */
  waitForAbort(timeoutMs?: number): Promise<RecordedRequest>;
  /** Resolves once at least `count` requests have arrived in total. */
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
};

const DEFAULT_CONTENT = "Hello from the fake upstream";
const DEFAULT_PROMPT_TOKENS = 10;
const DEFAULT_MODELS = ["gpt-4o-mini", "gpt-4o", "claude-3-5-haiku-latest"];

type Frame = string;
/** The request fields the fake itself looks at. */
type RequestBody = { model?: string; stream?: boolean; stream_options?: { include_usage?: boolean } };

export async function startFakeUpstream(opts: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const requests: RecordedRequest[] = [];
  const aborted: RecordedRequest[] = [];
  let abortCursor = 0;
  let queue: FakeBehaviour[] = [];
  let defaultBehaviour: FakeBehaviour = opts.defaultBehaviour ?? {};
  let inFlight = 0;
  let nextId = 1;
  let closing = false;
  const abortWaiters = new Set<() => void>();
  const requestWaiters = new Set<() => void>();

  const server = http.createServer({ keepAliveTimeout: 10_000, requestTimeout: 0, noDelay: true }, (req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500).end();
      } else {
        res.destroy();
      }
    });
  });
  server.maxHeadersCount = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    inFlight++;
    const rec: RecordedRequest = {
      id: nextId++,
      method: req.method ?? "GET",
      path: req.url ?? "/",
      headers: req.headers,
      body: undefined,
      api: apiOf(req.method ?? "GET", req.url ?? "/"),
      behaviour: {},
      remotePort: req.socket.remotePort ?? 0,
      startedAt: Date.now(),
      aborted: false,
      chunksSent: 0,
      chunksPlanned: 0,
    };
    const state = { resetByServer: false };
    requests.push(rec);
    for (const w of [...requestWaiters]) w();
    res.on("close", () => {
      inFlight--;
      if (res.writableFinished) {
        rec.finishedAt = Date.now();
      } else if (!state.resetByServer && !closing) {
        rec.aborted = true;
        rec.abortedAt = Date.now();
        aborted.push(rec);
        for (const w of [...abortWaiters]) w();
      }
    });

    const raw = await readBody(req);
    if (raw) {
      try {
        rec.body = JSON.parse(raw);
      } catch {
        rec.body = raw;
      }
    }
    const b = queue.shift() ?? defaultBehaviour;
    rec.behaviour = b;

    if (opts.apiKey && !authorised(req.headers, opts.apiKey)) {
      return sendJson(res, 401, errorBody(rec.api, 401, "Incorrect API key provided"), {});
    }
    if (b.hang) return;
    if (b.headerDelayMs && !(await wait(b.headerDelayMs, res))) return;

    const extra: Record<string, string> = { ...(b.headers ?? {}) };
    if (b.retryAfter !== undefined) extra["retry-after"] = String(b.retryAfter);
    const status = b.status ?? 200;
    if (b.body !== undefined) {
      const text = typeof b.body === "string" ? b.body : JSON.stringify(b.body);
      res.writeHead(status, { "content-type": "application/json", ...extra });
      res.end(text);
      return;
    }
    if (status >= 300) return sendJson(res, status, errorBody(rec.api, status, `Fake upstream error ${status}`), extra);

    const body: RequestBody = typeof rec.body === "object" && rec.body !== null ? rec.body : {};
    switch (rec.api) {
      case "models":
        return sendJson(res, status, modelList(opts.models ?? DEFAULT_MODELS), extra);
      case "openai":
        return body.stream === true
          ? sendStream(res, rec, state, b, status, extra, openaiFrames(rec, b, body))
          : sendCompletion(res, rec, state, b, status, extra, openaiCompletion(rec, b, body));
      case "openai-embeddings":
        return sendJson(res, status, openaiEmbeddings(rec.body, b), extra);
      case "anthropic":
        return body.stream === true
          ? sendStream(res, rec, state, b, status, extra, anthropicFrames(rec, b, body))
          : sendCompletion(res, rec, state, b, status, extra, anthropicMessage(rec, b, body));
      case "responses":
        if (typeof rec.body?.previous_response_id === "string") return sendJson(res, 400, errorBody("openai", 400, "Previous response not found (the fake stores nothing)"), extra);
        return body.stream === true
          ? sendStream(res, rec, state, b, status, extra, responsesFrames(rec, b, body))
          : sendCompletion(res, rec, state, b, status, extra, responsesBody(rec, b, body, "completed"));
      default:
        return sendJson(res, 404, errorBody("openai", 404, `No route for ${rec.method} ${rec.path}`), {});
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0, backlog: 2048 }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    requests,
    enqueue(behaviour) {
      queue.push(...(Array.isArray(behaviour) ? behaviour : [behaviour]));
    },
    setDefault(behaviour) {
      defaultBehaviour = behaviour;
    },
    reset() {
      requests.length = 0;
      aborted.length = 0;
      abortCursor = 0;
      queue = [];
      defaultBehaviour = opts.defaultBehaviour ?? {};
    },
    async close() {
      closing = true;
      queue = [];
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    get inFlight() {
      return inFlight;
    },
    get abortedCount() {
      return aborted.length;
    },
    waitForAbort(timeoutMs = 1000) {
      return new Promise<RecordedRequest>((resolve, reject) => {
        const check = () => {
          const rec = aborted[abortCursor];
          if (!rec) return false;
          abortCursor++;
          resolve(rec);
          return true;
        };
        if (check()) return;
        const waiter = () => {
          if (check()) done();
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`fake upstream: no aborted request within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          abortWaiters.delete(waiter);
        };
        abortWaiters.add(waiter);
      });
    },
    waitForRequests(count, timeoutMs = 1000) {
      return new Promise<void>((resolve, reject) => {
        if (requests.length >= count) return resolve();
        const waiter = () => {
          if (requests.length >= count) {
            done();
            resolve();
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`fake upstream: ${requests.length} of ${count} requests within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          requestWaiters.delete(waiter);
        };
        requestWaiters.add(waiter);
      });
    },
  };
}

// ---- Routing and plumbing ---------------------------------------------------

function apiOf(method: string, url: string): RecordedRequest["api"] {
  const path = url.split("?")[0] ?? "";
  if (method === "POST" && path.endsWith("/chat/completions")) return "openai";
  if (method === "POST" && path === "/v1/messages") return "anthropic";
  if (method === "POST" && path.endsWith("/responses")) return "responses";
  if (method === "GET" && path === "/v1/models") return "models";
  if (method === "POST" && path.endsWith("/embeddings")) return "openai-embeddings";
  return "unknown";
}

function authorised(headers: IncomingHttpHeaders, key: string): boolean {
  return headers.authorization === `Bearer ${key}` || headers["api-key"] === key || headers["x-api-key"] === key;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", () => resolve(""));
    req.on("close", () => resolve(Buffer.concat(parts).toString("utf8")));
  });
}

/** Resolves true after ms, or false as soon as the client goes away. */
function wait(ms: number, res: ServerResponse): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off("close", onClose);
      resolve(true);
    }, ms);
    res.once("close", onClose);
  });
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

function written(res: ServerResponse, chunk: string): Promise<void> {
  return new Promise((resolve) => {
    res.write(chunk, () => resolve());
  });
}

function resetSocket(res: ServerResponse, state: { resetByServer: boolean }): void {
  state.resetByServer = true;
  // destroy() rather than an RST, so the frames already written are delivered first.
  res.socket?.destroy();
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function sendCompletion(
  res: ServerResponse,
  rec: RecordedRequest,
  state: { resetByServer: boolean },
  b: FakeBehaviour,
  status: number,
  headers: Record<string, string>,
  body: unknown,
): Promise<void> {
  const text = b.malformedAfterChunks !== undefined ? `{"id": "broken", "choices": [` : JSON.stringify(body);
  rec.chunksPlanned = 1;
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  if (b.resetAfterChunks !== undefined) {
    await written(res, text.slice(0, Math.floor(text.length / 2)));
    return resetSocket(res, state);
  }
  res.end(text);
  rec.chunksSent = 1;
}

async function sendStream(
  res: ServerResponse,
  rec: RecordedRequest,
  state: { resetByServer: boolean },
  b: FakeBehaviour,
  status: number,
  headers: Record<string, string>,
  stream: { frames: Iterable<Frame>; count: number; malformed: Frame; error: Frame },
): Promise<void> {
  res.writeHead(status, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", ...headers });
  res.flushHeaders();
  rec.chunksPlanned = stream.count;
  const { resetAfterChunks: resetAt, streamErrorAfterChunks: errorAt, malformedAfterChunks: malformedAt } = b;
  let sent = 0;
  if (resetAt === 0) return resetSocket(res, state);
  for (const frame of stream.frames) {
    if (res.destroyed) return;
    if (errorAt !== undefined && sent >= errorAt) {
      res.end(stream.error);
      return;
    }
    if (malformedAt !== undefined && sent === malformedAt) res.write(stream.malformed);
    if (sent > 0 && b.chunkDelayMs && !(await wait(b.chunkDelayMs, res))) return;
    if (resetAt !== undefined && sent + 1 >= resetAt) {
      // Let this frame reach the client before the connection dies.
      await written(res, frame);
      rec.chunksSent = ++sent;
      return resetSocket(res, state);
    }
    const more = res.write(frame);
    rec.chunksSent = ++sent;
    if (!more) await drained(res);
  }
  if (!res.destroyed) res.end();
}

function pieces(b: FakeBehaviour): string[] {
  if (b.completionTokens !== undefined && b.content === undefined) return Array.from({ length: b.completionTokens }, () => " tok");
  const text = b.content ?? (b.toolCalls?.length ? "" : DEFAULT_CONTENT);
  return text ? text.split(/(?=\s)/) : [];
}

function usageNumbers(b: FakeBehaviour) {
  const prompt = b.promptTokens ?? DEFAULT_PROMPT_TOKENS;
  const completion = b.completionTokens ?? pieces(b).length + (b.toolCalls?.length ?? 0);
  return { prompt, completion, cached: b.cachedTokens ?? 0 };
}

function toolCallId(call: FakeToolCall, i: number, rec: RecordedRequest, prefix: string): string {
  return call.id ?? `${prefix}_fake_${rec.id}_${i}`;
}

function errorTypeOpenAI(status: number): string {
  if (status === 429) return "rate_limit_exceeded";
  if (status === 401) return "invalid_api_key";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

function errorTypeAnthropic(status: number): string {
  const types: Record<number, string> = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
  };
  return types[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
}

function errorBody(api: RecordedRequest["api"], status: number, message: string): unknown {
  if (api === "anthropic") return { type: "error", error: { type: errorTypeAnthropic(status), message } };
  return { error: { message, type: errorTypeOpenAI(status), param: null, code: null } };
}

function modelList(models: string[]) {
  return {
    object: "list",
    data: models.map((id) => ({ id, object: "model", created: 1_700_000_000, owned_by: "fake-upstream" })),
  };
}

// ---- OpenAI embeddings --------------------------------------------------------

/**
 * One small vector per input: value i of input n is (n + 1) / (i + 1), so a test can
 * tell inputs apart and check their order. Usage: `promptTokens` (default 10) per
 * input, absent with `omitUsage`.
 */
function openaiEmbeddings(raw: unknown, b: FakeBehaviour) {
  const body = (typeof raw === "object" && raw !== null ? raw : {}) as { model?: string; input?: unknown; dimensions?: number; encoding_format?: string };
  const input = body.input;
  const count = typeof input === "string" ? 1 : Array.isArray(input) ? (input.length > 0 && typeof input[0] === "number" ? 1 : input.length) : 0;
  const size = typeof body.dimensions === "number" ? body.dimensions : 8;
  const data = Array.from({ length: count }, (_, n) => {
    const v = Array.from({ length: size }, (_, i) => Math.fround((n + 1) / (i + 1)));
    const embedding = body.encoding_format === "base64" ? Buffer.from(new Float32Array(v).buffer).toString("base64") : v;
    return { object: "embedding", index: n, embedding };
  });
  const tokens = (b.promptTokens ?? DEFAULT_PROMPT_TOKENS) * count;
  return { object: "list", data, model: body.model ?? "unknown", ...(b.omitUsage ? {} : { usage: { prompt_tokens: tokens, total_tokens: tokens } }) };
}

// ---- OpenAI -----------------------------------------------------------------

function openaiUsage(b: FakeBehaviour) {
  const u = usageNumbers(b);
  return {
    prompt_tokens: u.prompt,
    completion_tokens: u.completion,
    total_tokens: u.prompt + u.completion,
    prompt_tokens_details: { cached_tokens: u.cached, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
  };
}

function openaiCompletion(rec: RecordedRequest, b: FakeBehaviour, body: RequestBody) {
  const text = pieces(b).join("");
  const toolCalls = (b.toolCalls ?? []).map((c, i) => ({
    id: toolCallId(c, i, rec, "call"),
    type: "function",
    function: { name: c.name, arguments: c.arguments },
  }));
  const message: Record<string, unknown> = {
    role: "assistant",
    content: text || (toolCalls.length ? null : ""),
    refusal: null,
  };
  if (toolCalls.length) message.tool_calls = toolCalls;
  const completion: Record<string, unknown> = {
    id: `chatcmpl-fake-${rec.id}`,
    object: "chat.completion",
    created: Math.floor(rec.startedAt / 1000),
    model: body.model ?? "fake",
    system_fingerprint: "fp_fake",
    choices: [
      { index: 0, message, logprobs: null, finish_reason: b.finishReason ?? (toolCalls.length ? "tool_calls" : "stop") },
    ],
  };
  if (!b.omitUsage) completion.usage = openaiUsage(b);
  return completion;
}

function openaiFrames(rec: RecordedRequest, b: FakeBehaviour, body: RequestBody) {
  const includeUsage = body.stream_options?.include_usage === true && !b.omitUsage;
  const base = {
    id: `chatcmpl-fake-${rec.id}`,
    object: "chat.completion.chunk",
    created: Math.floor(rec.startedAt / 1000),
    model: body.model ?? "fake",
    system_fingerprint: "fp_fake",
  };
  const frame = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ ...base, choices, ...(includeUsage ? { usage: null } : {}), ...extra })}\n\n`;
  const choice = (delta: unknown, finish: string | null = null) => ({ index: 0, delta, logprobs: null, finish_reason: finish });
  const texts = pieces(b);
  const calls = b.toolCalls ?? [];
  const count = 1 + texts.length + calls.length * 3 + 1 + (includeUsage ? 1 : 0) + (b.omitDone ? 0 : 1);

  function* frames(): Generator<Frame> {
    yield frame([choice({ role: "assistant", content: "", refusal: null })]);
    for (const text of texts) yield frame([choice({ content: text })]);
    for (const [i, call] of calls.entries()) {
      const id = toolCallId(call, i, rec, "call");
      yield frame([choice({ tool_calls: [{ index: i, id, type: "function", function: { name: call.name, arguments: "" } }] })]);
      const half = Math.floor(call.arguments.length / 2);
      yield frame([choice({ tool_calls: [{ index: i, function: { arguments: call.arguments.slice(0, half) } }] })]);
      yield frame([choice({ tool_calls: [{ index: i, function: { arguments: call.arguments.slice(half) } }] })]);
    }
    yield frame([choice({}, b.finishReason ?? (calls.length ? "tool_calls" : "stop"))]);
    if (includeUsage) yield frame([], { usage: openaiUsage(b) });
    if (!b.omitDone) yield "data: [DONE]\n\n";
  }

  const errorType = b.streamErrorType ?? "server_error";
  return {
    frames: frames(),
    count,
    malformed: `data: {"id": "chatcmpl-broken", "choices": [\n\n`,
    error: `data: ${JSON.stringify({ error: { message: "The server had an error while processing your request.", type: errorType, param: null, code: null } })}\n\n`,
  };
}

// ---- Anthropic --------------------------------------------------------------

function anthropicStopReason(b: FakeBehaviour): string {
  return b.finishReason ?? (b.toolCalls?.length ? "tool_use" : "end_turn");
}

function anthropicMessage(rec: RecordedRequest, b: FakeBehaviour, body: RequestBody) {
  const text = pieces(b).join("");
  const content: unknown[] = [];
  if (text) content.push({ type: "text", text });
  for (const [i, call] of (b.toolCalls ?? []).entries()) {
    content.push({ type: "tool_use", id: toolCallId(call, i, rec, "toolu"), name: call.name, input: JSON.parse(call.arguments || "{}") });
  }
  const u = usageNumbers(b);
  const message: Record<string, unknown> = {
    id: `msg_fake_${rec.id}`,
    type: "message",
    role: "assistant",
    model: body.model ?? "fake",
    content,
    stop_reason: anthropicStopReason(b),
    stop_sequence: null,
  };
  if (!b.omitUsage) {
    message.usage = {
      input_tokens: u.prompt,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: u.cached,
      output_tokens: u.completion,
    };
  }
  return message;
}

function anthropicFrames(rec: RecordedRequest, b: FakeBehaviour, body: RequestBody) {
  const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  const u = usageNumbers(b);
  const texts = pieces(b);
  const calls = b.toolCalls ?? [];
  const count = 1 + (texts.length ? 3 + texts.length : 0) + 1 + calls.length * 4 + 1 + (b.omitDone ? 0 : 1);

  function* frames(): Generator<Frame> {
    yield sse("message_start", {
      type: "message_start",
      message: {
        id: `msg_fake_${rec.id}`,
        type: "message",
        role: "assistant",
        model: body.model ?? "fake",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        ...(b.omitUsage
          ? {}
          : { usage: { input_tokens: u.prompt, cache_creation_input_tokens: 0, cache_read_input_tokens: u.cached, output_tokens: 1 } }),
      },
    });
    let index = 0;
    if (texts.length) {
      yield sse("content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } });
      yield sse("ping", { type: "ping" });
      for (const text of texts) {
        yield sse("content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text } });
      }
      yield sse("content_block_stop", { type: "content_block_stop", index });
      index++;
    } else {
      yield sse("ping", { type: "ping" });
    }
    for (const [i, call] of calls.entries()) {
      const id = toolCallId(call, i, rec, "toolu");
      yield sse("content_block_start", {
        type: "content_block_start",
        index,
        content_block: { type: "tool_use", id, name: call.name, input: {} },
      });
      const half = Math.floor(call.arguments.length / 2);
      for (const partial of [call.arguments.slice(0, half), call.arguments.slice(half)]) {
        yield sse("content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: partial } });
      }
      yield sse("content_block_stop", { type: "content_block_stop", index });
      index++;
    }
    yield sse("message_delta", {
      type: "message_delta",
      delta: { stop_reason: anthropicStopReason(b), stop_sequence: null },
      ...(b.omitUsage ? {} : { usage: { output_tokens: u.completion } }),
    });
    if (!b.omitDone) yield sse("message_stop", { type: "message_stop" });
  }

  const errorType = b.streamErrorType ?? "overloaded_error";
  return {
    frames: frames(),
    count,
    malformed: `event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, "delta": {\n\n`,
    error: sse("error", { type: "error", error: { type: errorType, message: errorType === "overloaded_error" ? "Overloaded" : "Fake stream error" } }),
  };
}

// ---- OpenAI Responses -------------------------------------------------------

function responsesUsage(b: FakeBehaviour) {
  const u = usageNumbers(b);
  return {
    input_tokens: u.prompt,
    input_tokens_details: { cached_tokens: u.cached },
    output_tokens: u.completion,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: u.prompt + u.completion,
  };
}

function responsesOutput(rec: RecordedRequest, b: FakeBehaviour) {
  const text = pieces(b).join("");
  const output: Record<string, unknown>[] = [];
  if (text) {
    output.push({ id: `msg_fake_${rec.id}`, type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text, annotations: [], logprobs: [] }] });
  }
  for (const [i, call] of (b.toolCalls ?? []).entries()) {
    output.push({ id: `fc_fake_${rec.id}_${i}`, type: "function_call", status: "completed", call_id: toolCallId(call, i, rec, "call"), name: call.name, arguments: call.arguments });
  }
  return output;
}

function responsesBody(rec: RecordedRequest, b: FakeBehaviour, body: RequestBody, status: string, output = responsesOutput(rec, b)) {
  const incomplete = b.finishReason === "length";
  return {
    id: `resp_fake_${rec.id}`,
    object: "response",
    created_at: Math.floor(rec.startedAt / 1000),
    status: status === "completed" && incomplete ? "incomplete" : status,
    error: null,
    incomplete_details: status === "completed" && incomplete ? { reason: "max_output_tokens" } : null,
    model: body.model ?? "fake",
    output,
    usage: status === "in_progress" || b.omitUsage ? null : responsesUsage(b),
    store: (rec.body as { store?: boolean } | undefined)?.store ?? true,
  };
}

function responsesFrames(rec: RecordedRequest, b: FakeBehaviour, body: RequestBody) {
  const texts = pieces(b);
  const calls = b.toolCalls ?? [];
  const count = 2 + (texts.length ? 3 + texts.length + 3 : 0) + calls.length * 5 + (b.omitDone ? 0 : 1);
  let seq = 0;
  const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
  const final = responsesOutput(rec, b);

  function* frames(): Generator<Frame> {
    yield ev("response.created", { response: responsesBody(rec, b, body, "in_progress", []) });
    yield ev("response.in_progress", { response: responsesBody(rec, b, body, "in_progress", []) });
    let index = 0;
    if (texts.length) {
      const id = `msg_fake_${rec.id}`;
      yield ev("response.output_item.added", { output_index: index, item: { id, type: "message", status: "in_progress", role: "assistant", content: [] } });
      yield ev("response.content_part.added", { item_id: id, output_index: index, content_index: 0, part: { type: "output_text", text: "", annotations: [] } });
      for (const t of texts) yield ev("response.output_text.delta", { item_id: id, output_index: index, content_index: 0, delta: t, logprobs: [] });
      const text = texts.join("");
      yield ev("response.output_text.done", { item_id: id, output_index: index, content_index: 0, text, logprobs: [] });
      yield ev("response.content_part.done", { item_id: id, output_index: index, content_index: 0, part: { type: "output_text", text, annotations: [] } });
      yield ev("response.output_item.done", { output_index: index, item: final[index] });
      index++;
    }
    for (const [i, call] of calls.entries()) {
      const id = `fc_fake_${rec.id}_${i}`;
      const half = Math.floor(call.arguments.length / 2);
      yield ev("response.output_item.added", { output_index: index, item: { id, type: "function_call", status: "in_progress", call_id: toolCallId(call, i, rec, "call"), name: call.name, arguments: "" } });
      yield ev("response.function_call_arguments.delta", { item_id: id, output_index: index, delta: call.arguments.slice(0, half) });
      yield ev("response.function_call_arguments.delta", { item_id: id, output_index: index, delta: call.arguments.slice(half) });
      yield ev("response.function_call_arguments.done", { item_id: id, output_index: index, arguments: call.arguments });
      yield ev("response.output_item.done", { output_index: index, item: final[index] });
      index++;
    }
    if (!b.omitDone) {
      const done = responsesBody(rec, b, body, "completed", final);
      yield ev(done.status === "incomplete" ? "response.incomplete" : "response.completed", { response: done });
    }
  }

  return {
    frames: frames(),
    count,
    malformed: `data: {"type": "response.output_text.delta", \n\n`,
    error: `event: error\ndata: ${JSON.stringify({ type: "error", sequence_number: 999, code: b.streamErrorType ?? "server_error", message: "The server had an error while processing your request.", param: null })}\n\n`,
  };
}
