import "server-only";
import { randomUUID } from "node:crypto";
import {
  adapterFor, countChatTokens, countTokens, isAbortError, isProviderError, isUsageChunk,
  type ChatCompletion, type ChatCompletionChunk, type ChatCompletionRequest, type Usage,
} from "@/lib/providers";
import { callStarted, pickAccounts, reportFailure as reportFailureToPool, reportSuccess, type Candidate } from "@/lib/accounts";
import { admit } from "@/lib/quota";
import { recordUsage, type UsageEventInput, type UsageMetadata, type UsageStatus } from "@/lib/usage";
import type { Principal } from "@/lib/auth/principal";
import { AppError, isDatabaseUnavailable, toAppError } from "@/lib/http/errors";
import { json } from "@/lib/http/json";
import { SSE_DONE, SSE_HEADERS, sseData, sseError, sseEvent } from "@/lib/http/sse";
import { filterChunks, filterCompletion, filterRequest, requestLogEntry, resolveFilter, segmentOf, type CompiledFilter, type FilterConfig } from "@/lib/filters";
import { logger, trackStream, trackCall, recordGatewayCall, recordUpstreamError, startGatewayTrace, type GatewayTrace } from "@/lib/observability";
import { AllAttemptsFailed, withFailover } from "./retry";
import { assertModelAllowed } from "./scopes";
import { CACHE_HEADER, cacheEligible, cacheKey, cacheLookup, cacheStore, chunkAssembler, replayStream } from "./cache";

// The pipeline: resolve → admit → route → call → filter → stream → settle.
// Nothing here touches the database before the upstream call: keys, accounts
// and prices are served from per-instance caches, and usage is queued.

export type GatewayOptions = {
  source?: string;
  promptVersionId?: string | null;
  experimentId?: string | null;
  variantId?: string | null;
  /** Route only to this account (the console playground's account picker). */
  accountId?: string;
  /** Extra top-level fields for the response body and the first chunk (prompt, version, variant…). */
  bodyExtras?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** Extra content-filter configuration (a prompt's), merged with the API key's (lib/filters). */
  filters?: FilterConfig | null;
  /** The caller asked for the response cache (`x-promptgate-cache: on`); see lib/gateway/cache.ts. */
  cache?: boolean;
  /** Tags recorded with the usage event when they are not in the request itself (/api/completion's `metadata`). */
  metadata?: UsageMetadata | null;
};

type CacheWrite = { key: string; apiKeyId: string };

export function newCompletionId(): string {
  // randomUUID draws from Node's pooled entropy; randomBytes was one OpenSSL call per request.
  return `chatcmpl-${randomUUID().replaceAll("-", "")}`;
}

type Settle = ((status: UsageStatus, fields?: Partial<UsageEventInput>) => void) & {
  trace?: GatewayTrace;
  /** For a key's request log: the response text and the HTTP status answered, set before settling. */
  responseText?: string | null;
  httpStatus?: number;
};

// The status a request log shows when the call did not set one: a stream that
// failed after its 200 headers, or a call cut at the shutdown deadline.
const LOGGED_STATUS: Record<UsageStatus, number> = { ok: 200, client_aborted: 499, upstream_error: 502, rejected: 429, error: 503, unavailable: 503 };

// Every failed upstream attempt (retries included) is counted by account and code before the pool hears of it.
const reportFailure: typeof reportFailureToPool = (c, err) => {
  recordUpstreamError(c.account.id, err.code);
  reportFailureToPool(c, err);
};

type Settler = Settle & { reservation?: unknown };

function settler(principal: Principal, req: ChatCompletionRequest, completionId: string, started: number, opts: GatewayOptions): Settler {
  let settled = false;
  // The one place every call ends: the usage event, its metrics and the end of its trace.
  const record = (e: UsageEventInput) => {
    untrack();
    recordUsage(e);
    recordGatewayCall(e);
    fn.trace?.end(e);
  };
  const fn: Settler = (status, fields = {}) => {
    if (settled) return;
    settled = true;
    record({
      completionId,
      createdAt: new Date(Date.now() - (performance.now() - started)),
      apiKeyId: principal.kind === "apiKey" && principal.key.id ? principal.key.id : null,
      endUser: typeof req.user === "string" ? req.user.slice(0, 256) : null,
      source: opts.source ?? "api",
      accountId: null, provider: null, requestedModel: req.model, servedModel: null,
      promptVersionId: opts.promptVersionId ?? null, experimentId: opts.experimentId ?? null, variantId: opts.variantId ?? null,
      inputTokens: 0, outputTokens: 0, cachedTokens: 0,
      latencyMs: Math.round(performance.now() - started), ttftMs: null,
      status, errorCode: null, stream: req.stream === true, attempts: 0,
      reservation: fn.reservation ?? null,
      metadata: opts.metadata ?? (req.metadata as UsageMetadata | null | undefined) ?? null,
      // Undefined (and free) unless the key opted into request logging.
      log: requestLogEntry(principal, req.messages, fn.responseText ?? null, fn.httpStatus ?? LOGGED_STATUS[status]),
      ...fields,
    });
  };
  // At the shutdown deadline a call still unsettled is settled as an error, so its usage is in the final flush.
  const untrack = trackCall(() => fn("error", { errorCode: "shutting_down" }));
  fn.trace = startGatewayTrace(() => ({ "promptgate.completion_id": completionId, "gen_ai.request.model": req.model, "promptgate.stream": req.stream === true }));
  return fn;
}

const usageFields = (u: Usage) => ({
  inputTokens: u.prompt_tokens ?? 0,
  outputTokens: u.completion_tokens ?? 0,
  cachedTokens: u.prompt_tokens_details?.cached_tokens ?? 0,
});

const accountFields = (c: Candidate) => ({ accountId: c.account.id, provider: c.account.provider, servedModel: c.upstreamModel });

function failure(err: unknown, completionId: string): AppError {
  const e = describeFailure(err);
  // The id lets a client (or an operator) find the usage event of a failed call.
  e.details.headers = { ...e.details.headers, "x-promptgate-completion-id": completionId };
  return e;
}

function describeFailure(err: unknown): AppError {
  if (err instanceof AllAttemptsFailed) {
    const e = toAppError(err.last);
    const upstream = err.last.upstreamMessage ? `: ${err.last.upstreamMessage}` : "";
    const msg = e.status >= 500 || e.status === 429
      ? `The upstream provider failed after ${err.attempts} attempt(s) (${err.last.code}, status ${err.last.status})${upstream}`
      : `The upstream provider rejected the request${upstream || `: ${err.last.message}`}`;
    return new AppError(e.code, msg, { ...e.details, extra: { ...e.details.extra, code: e.code === "bad_request" ? "upstream_rejected" : e.code } }, { cause: err.last });
  }
  return toAppError(err);
}

export async function chat(principal: Principal, req: ChatCompletionRequest, signal: AbortSignal, opts: GatewayOptions = {}): Promise<Response> {
  const started = performance.now();
  const completionId = newCompletionId();
  const settle = settler(principal, req, completionId, started, opts);

  // resolve + route + admit
  let candidates: Candidate[];
  let admissionHeaders: Record<string, string> = {};
  let filter: CompiledFilter | null = null;
  const cacheKeyId = opts.cache && principal.kind === "apiKey" && principal.key.id && cacheEligible(req) ? principal.key.id : null;
  // Asked for the cache: "miss" when it is consulted, "skip" when the request does not qualify (temperature, no key).
  const cacheHeader: Record<string, string> = opts.cache ? { [CACHE_HEADER]: cacheKeyId ? "miss" : "skip" } : {};
  let cacheWrite: CacheWrite | null = null;
  try {
    // filter (request side): null unless the key or the prompt configures one, so unfiltered calls do no filter work.
    settle.trace?.stage("filter");
    filter = await resolveFilter(principal, opts.filters);
    if (filter) req = filterRequest(filter, req);
    settle.trace?.stage("resolve");
    assertModelAllowed(principal, req.model);
    settle.trace?.stage("route");
    candidates = await pickAccounts(req.model);
    if (opts.accountId) candidates = candidates.filter((c) => c.account.id === opts.accountId);
    if (candidates.length === 0) {
      throw new AppError("not_found", `The model '${req.model}' does not exist or no enabled account serves it`, {
        param: "model", extra: { code: "model_not_found" },
      });
    }
    // cache: looked up before admission, so a hit reserves nothing and never counts against a token quota.
    if (cacheKeyId) {
      cacheWrite = { key: cacheKey(req, cacheKeyId, opts.promptVersionId), apiKeyId: cacheKeyId };
      settle.trace?.stage("cache");
      const hit = await cacheLookup(cacheWrite.key, cacheKeyId);
      if (hit) return serveFromCache(req, hit, settle, started, completionId, opts);
    }
    settle.trace?.stage("admit");
    const admission = await admit(principal, req, { completionId });
    settle.reservation = admission.reservation;
    admissionHeaders = admission.headers;
  } catch (err) {
    const e = toAppError(err);
    settle.httpStatus = e.status;
    // The database was needed (admission) and could not be reached: not the caller's doing, so not "rejected".
    // The event waits in the usage writer until the database is back (faults #14.3).
    settle(isDatabaseUnavailable(e) ? "unavailable" : "rejected", { errorCode: (e.details.extra?.code as string | undefined) ?? e.code });
    // Refused before the lookup (cacheWrite is set just before it): neither hit nor missed, so no header, unless the request did not qualify.
    e.details.headers = { ...e.details.headers, "x-promptgate-completion-id": completionId, ...(cacheWrite || !cacheKeyId ? cacheHeader : {}) };
    throw e;
  }
  const headers: Record<string, string> = { "x-promptgate-completion-id": completionId, ...cacheHeader, ...admissionHeaders, ...opts.headers };
  settle.trace?.stage("upstream");
  return req.stream ? stream(req, candidates, signal, settle, started, completionId, headers, opts, filter, cacheWrite) : complete(req, candidates, signal, settle, completionId, headers, opts, filter, cacheWrite);
}

function serveFromCache(req: ChatCompletionRequest, hit: ChatCompletion, settle: Settle, started: number, completionId: string, opts: GatewayOptions): Response {
  const headers = { "x-promptgate-completion-id": completionId, [CACHE_HEADER]: "hit", ...opts.headers };
  // Recorded as a normal "ok" call with cached=true: the writer prices it at 0 and, with no reservation, quotas settle nothing.
  settle("ok", { servedModel: hit.model, ...(hit.usage ? usageFields(hit.usage) : {}), ttftMs: Math.round(performance.now() - started), cached: true });
  if (req.stream) return replayStream(hit, completionId, req.stream_options?.include_usage === true, headers, opts.bodyExtras);
  return json({ ...hit, id: completionId, created: Math.floor(Date.now() / 1000), ...opts.bodyExtras }, { headers });
}

async function complete(
  req: ChatCompletionRequest, candidates: Candidate[], signal: AbortSignal, settle: Settle,
  completionId: string, headers: Record<string, string>, opts: GatewayOptions, filter: CompiledFilter | null = null,
  cacheWrite: CacheWrite | null = null,
): Promise<Response> {
  try {
    const { value, candidate, attempts } = await withFailover(
      candidates,
      signal,
      async (c) => {
        const t = performance.now();
        const done = callStarted(c);
        try {
          const r = await adapterFor(c.account.provider).complete(req, { account: c.account, upstreamModel: c.upstreamModel, signal });
          reportSuccess(c, { latencyMs: performance.now() - t, rateLimit: r.rateLimit });
          return r;
        } finally {
          done();
        }
      },
      undefined,
      reportFailure,
    );
    const out = filter ? filterCompletion(filter, value.completion) : value.completion;
    settle.responseText = typeof out.choices[0]?.message.content === "string" ? out.choices[0].message.content : null;
    settle("ok", { ...accountFields(candidate), ...usageFields(value.usage), attempts });
    if (cacheWrite) cacheStore(cacheWrite.key, cacheWrite.apiKeyId, out);
    return json({ ...out, id: completionId, ...opts.bodyExtras }, { headers });
  } catch (err) {
    throw settleBeforeFirstByte(err, req, signal, settle, completionId);
  }
}

/** Settles a call that failed before any byte reached the client, and returns the error to answer with. */
function settleBeforeFirstByte(err: unknown, req: ChatCompletionRequest, signal: AbortSignal, settle: Settle, completionId: string): AppError {
  if (isAbortError(err) || signal.aborted) {
    settle("client_aborted", { errorCode: "client_aborted", inputTokens: safeCount(() => countChatTokens(req.model, req.messages)) });
    return new AppError("bad_request", "The client closed the request");
  }
  const failed = err instanceof AllAttemptsFailed ? err : undefined;
  const answer = failure(err, completionId);
  settle.httpStatus = answer.status;
  settle("upstream_error", { errorCode: failed?.last.code ?? "internal_error", attempts: failed?.attempts ?? 0, ...(failed ? accountFields(failed.candidate) : {}) });
  return answer;
}

function safeCount(fn: () => number): number {
  try {
    return fn();
  } catch {
    return 0;
  }
}

function deltaText(chunk: ChatCompletionChunk): string {
  let s = "";
  for (const c of chunk.choices) {
    if (typeof c.delta.content === "string") s += c.delta.content;
    for (const t of c.delta.tool_calls ?? []) s += t.function?.arguments ?? "";
  }
  return s;
}

async function stream(
  req: ChatCompletionRequest, candidates: Candidate[], signal: AbortSignal, settle: Settle, started: number,
  completionId: string, headers: Record<string, string>, opts: GatewayOptions, filter: CompiledFilter | null = null,
  cacheWrite: CacheWrite | null = null,
): Promise<Response> {
  // Open the upstream and read its first chunk before answering: until then a
  // failure can still be retried or failed over without the client noticing.
  let opened;
  try {
    opened = await withFailover(
      candidates,
      signal,
      async (c) => {
        const t = performance.now();
        const done = callStarted(c);
        try {
          const upstream = await adapterFor(c.account.provider).stream(req, { account: c.account, upstreamModel: c.upstreamModel, signal });
          const it = upstream.chunks[Symbol.asyncIterator]();
          try {
            const first = await it.next();
            return { upstream, it, first, done, t };
          } catch (err) {
            upstream.close();
            throw err;
          }
        } catch (err) {
          done();
          throw err;
        }
      },
      undefined,
      reportFailure,
    );
  } catch (err) {
    throw settleBeforeFirstByte(err, req, signal, settle, completionId);
  }

  const { upstream, it, candidate, attempts } = { ...opened.value, candidate: opened.candidate, attempts: opened.attempts };
  const includeUsage = req.stream_options?.include_usage === true;
  const ttftMs = Math.round(performance.now() - started);
  settle.trace?.event("first_token", { "promptgate.ttft_ms": ttftMs });
  settle.trace?.stage("stream", { "promptgate.filtered": filter !== null });
  // filter (stream side): masks across chunk boundaries, holding back at most the longest pattern - 1 characters.
  const source: AsyncIterator<ChatCompletionChunk> = filter ? filterChunks(filter, opened.value.first, it) : it;
  let pending: IteratorResult<ChatCompletionChunk> | null = filter ? null : opened.value.first;
  let usage: Usage | null = null;
  let text = "";
  let firstSent = false;
  // The response cache stores what the client was sent, rebuilt from the chunks, once the stream ends cleanly.
  const assembled = cacheWrite ? chunkAssembler() : null;

  const untrack = trackStream(() => endForShutdown());
  const callDone = opened.value.done;
  const callStart = opened.value.t;
  const finish = (status: UsageStatus, errorCode: string | null = null) => {
    untrack();
    callDone();
    if (status === "ok") reportSuccess(candidate, { latencyMs: performance.now() - callStart, ttftMs, rateLimit: upstream.rateLimit });
    // Without upstream usage (abort, failure mid-stream) count what was streamed.
    const counted = usage
      ? usageFields(usage)
      : { inputTokens: safeCount(() => countChatTokens(req.model, req.messages)), outputTokens: safeCount(() => countTokens(req.model, text)), cachedTokens: 0 };
    settle.responseText = text;
    settle(status, { ...accountFields(candidate), ...counted, ttftMs, attempts, errorCode });
  };

  // At the shutdown deadline (lib/observability/lifecycle.ts) a stream still
  // open ends with an explicit error event, never a silent cut, and is settled
  // before the usage writer's final flush. A pull in progress then fails on the
  // closed upstream or controller and returns quietly.
  let ctrl: ReadableStreamDefaultController<Uint8Array> | undefined;
  let shuttingDown = false;
  const endForShutdown = () => {
    if (shuttingDown) return;
    shuttingDown = true;
    try {
      ctrl?.enqueue(sseError({ message: "The server is shutting down; the stream was ended before it finished", type: "server_error", code: "shutting_down" }));
      ctrl?.close();
    } catch {}
    upstream.close();
    finish("error", "shutting_down");
  };

  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        ctrl = controller;
      },
      async pull(controller) {
        try {
          // Loop until one frame is enqueued: a pull that enqueues nothing would stall the reader.
          for (;;) {
            const r = pending ?? (await source.next());
            pending = null;
            if (r.done) {
              controller.enqueue(SSE_DONE);
              controller.close();
              finish("ok");
              const done = assembled?.result();
              if (cacheWrite && done) cacheStore(cacheWrite.key, cacheWrite.apiKeyId, done);
              return;
            }
            const chunk = r.value;
            const segment = filter ? segmentOf(chunk) : null;
            if (segment) {
              controller.enqueue(sseEvent("segment", { ...chunk, id: completionId }));
              return;
            }
            if (isUsageChunk(chunk)) {
              usage = chunk.usage ?? null;
              assembled?.add(chunk);
              if (!includeUsage) continue;
              controller.enqueue(sseData({ ...chunk, id: completionId }));
              return;
            }
            text += deltaText(chunk);
            assembled?.add(chunk);
            const out = firstSent || !opts.bodyExtras ? { ...chunk, id: completionId } : { ...chunk, id: completionId, ...opts.bodyExtras };
            firstSent = true;
            controller.enqueue(sseData(out));
            return;
          }
        } catch (err) {
          if (shuttingDown) return;
          if (isAbortError(err) || signal.aborted) {
            finish("client_aborted", "client_aborted");
            try {
              controller.close();
            } catch {}
            return;
          }
          const code = isProviderError(err) ? err.code : "internal_error";
          if (isProviderError(err)) reportFailure(candidate, err);
          else logger.error({ err }, "stream failed");
          controller.enqueue(sseError({ message: `The upstream stream failed: ${isProviderError(err) ? err.message : "internal error"}`, type: "upstream_error", code }));
          controller.close();
          finish("upstream_error", code);
        }
      },
      cancel() {
        upstream.close();
        finish("client_aborted", "client_aborted");
      },
    },
    // One frame of buffer: the next upstream chunk is read only when the client has taken this one.
    { highWaterMark: 1 },
  );
  return new Response(body, { status: 200, headers: { ...SSE_HEADERS, ...headers } });
}
