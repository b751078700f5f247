import "server-only";
import { AppError, isDatabaseUnavailable, toAppError } from "@/lib/core";
import { callStarted, pickAccounts, reportFailure as reportFailureToPool, reportSuccess, type Candidate } from "@/lib/accounts";
import { filterChunks, filterCompletion, filterRequest, resolveFilter, segmentOf, type CompiledFilter } from "@/lib/filters";
import { logger, recordUpstreamError, trackStream } from "@/lib/observability";
import {
  adapterFor, countEmbeddingTokens, isAbortError, isProviderError, isUsageChunk, type CallContext, type ChatCompletion, type ChatCompletionChunk,
  type CompleteResult, type EmbeddingList, type EmbeddingRequest, type NativeAdapter, type NativeDialect, type NativeEvent, type NativeResult,
  type NativeStream, type UpstreamStream, type Usage,
} from "@/lib/providers";
import { admit } from "@/lib/quota";
import { CACHE_HEADER, cacheEligible, cacheKey, cacheLookup, cacheStore, chunkAssembler, replayChunks } from "./cache";
import type { GatewayCall, NativeCall } from "./call";
import { AllAttemptsFailed, withFailover } from "./retry";
import { assertModelAllowed } from "./scopes";
import { Settlement, type Outcome } from "./settle";

// The protocol-neutral pipeline: resolve → admit → route → call → filter →
// stream → settle. It works on one GatewayCall (the canonical chat request) and
// answers with a completion or a stream of canonical chunks; ingress adapters
// (ingress/) translate both to and from their client's dialect. Nothing here
// touches the database before the upstream call except admission under a
// quota: keys, accounts and prices come from per-instance caches, and usage is
// queued. Every call is settled exactly once (settle.ts).

/**
 * Called at the shutdown deadline if a stream is still open: the ingress ends
 * its response with this error in its own dialect. The call is settled.
 */
type OnInterrupt = (listener: (err: AppError) => void) => void;

export type CallResult = {
  /** Response headers every dialect sends: completion id, cache state, rate limits, the caller's own. */
  headers: Record<string, string>;
  /** Served from the response cache (its usage is already settled). */
  cached: boolean;
} & (
  | { kind: "completion"; completion: ChatCompletion }
  | {
      kind: "stream";
      /** Canonical chunks, the final usage chunk included; pulled one at a time. Returning it releases the upstream. */
      chunks: AsyncIterator<ChatCompletionChunk>;
      /** Whether a content filter runs on this stream (its held-back text arrives as segment chunks). */
      filtered: boolean;
      onInterrupt: OnInterrupt;
    }
  // Native passthrough (only for a call with `native`, served by an account that speaks its dialect):
  // the upstream's own answer in the client's dialect, to be sent as is.
  | { kind: "native"; dialect: NativeDialect; body: unknown }
  | {
      kind: "native-stream";
      dialect: NativeDialect;
      /** The upstream's events as received; pulled one at a time. Returning it releases the upstream. */
      events: AsyncIterator<NativeEvent>;
      onInterrupt: OnInterrupt;
    }
);

/** A stream that failed after its first chunk: the ingress ends it with this error, in its dialect. */
export class StreamFailure extends Error {
  constructor(readonly error: AppError) {
    super(error.message);
    this.name = "StreamFailure";
  }
}

type CacheWrite = { key: string; apiKeyId: string };

// Every failed upstream attempt (retries included) is counted by account and code before the pool hears of it.
const reportFailure: typeof reportFailureToPool = (c, err) => {
  recordUpstreamError(c.account.id, err.code);
  reportFailureToPool(c, err);
};

const SHUTTING_DOWN = new AppError("service_unavailable", "The server is shutting down; the stream was ended before it finished", {
  type: "server_error", extra: { code: "shutting_down" },
});

/** Runs one call through the pipeline. Errors before the first byte are thrown as AppErrors (the call is settled). */
export async function runCall(call: GatewayCall): Promise<CallResult> {
  const settlement = new Settlement(call);
  const { trace } = settlement;
  let outcome: Outcome = { status: "rejected" };
  // A stream hands its settlement to the relay (which settles when the stream ends).
  let handedOff = false;
  // A native passthrough is never cached: the cache stores canonical completions.
  const cacheKeyId = call.options.cache && !call.native && call.principal.kind === "apiKey" && call.principal.key.id && cacheEligible(call.request) ? call.principal.key.id : null;
  // Asked for the cache: "miss" when it is consulted, "skip" when the request does not qualify (temperature, no key).
  const cacheHeader: Record<string, string> = call.options.cache ? { [CACHE_HEADER]: cacheKeyId ? "miss" : "skip" } : {};
  let cacheWrite: CacheWrite | null = null;
  let upstreamStarted = false;
  try {
    // filter (request side): null unless the key or the prompt configures one, so unfiltered calls do no filter work.
    trace.stage("filter");
    const filter = await resolveFilter(call.principal, call.options.filters);
    if (filter) call.request = filterRequest(filter, call.request);
    trace.stage("resolve");
    assertModelAllowed(call.principal, call.request.model);
    trace.stage("route");
    let candidates = await pickAccounts(call.request.model);
    if (call.options.accountId) candidates = candidates.filter((c) => c.account.id === call.options.accountId);
    if (candidates.length === 0) {
      throw new AppError("not_found", `The model '${call.request.model}' does not exist or no enabled account serves it`, {
        param: "model", extra: { code: "model_not_found" },
      });
    }
    // A content filter masks the canonical request and chunks, so a filtered call is always translated.
    const native = call.native && !filter ? call.native : null;
    if (call.native?.untranslatable) {
      candidates = candidates.filter((c) => native && nativeOf(c, native));
      if (candidates.length === 0) {
        const why = filter ? " (a content filter applies to this key, and filtered calls are always translated)" : "";
        throw new AppError("bad_request", `${call.native.untranslatable}${why}`, { extra: { code: "untranslatable_request" } });
      }
    }
    // cache: looked up before admission, so a hit reserves nothing and never counts against a token quota.
    if (cacheKeyId) {
      cacheWrite = { key: cacheKey(call.request, cacheKeyId, call.options.promptVersionId), apiKeyId: cacheKeyId };
      trace.stage("cache");
      const hit = await cacheLookup(cacheWrite.key, cacheKeyId);
      if (hit) {
        // A normal "ok" call with cached=true: the writer prices it at 0 and, with no reservation, quotas settle nothing.
        outcome = { status: "ok", servedModel: hit.model, usage: hit.usage ?? null, ttftMs: Math.round(performance.now() - call.started), cached: true };
        const headers = { "x-promptgate-completion-id": call.id, [CACHE_HEADER]: "hit", ...call.options.headers };
        if (!call.request.stream) return { kind: "completion", completion: hit, headers, cached: true };
        return { kind: "stream", chunks: replayChunks(hit), filtered: false, onInterrupt: () => {}, headers, cached: true };
      }
    }
    trace.stage("admit");
    const admission = await admit(call.principal, call.request, { completionId: call.id });
    settlement.reservation = admission.reservation;
    const headers: Record<string, string> = { "x-promptgate-completion-id": call.id, ...cacheHeader, ...admission.headers, ...call.options.headers };
    trace.stage("upstream");
    upstreamStarted = true;
    if (call.request.stream) {
      const result = await openStream(call, settlement, candidates, filter, cacheWrite, headers, native);
      handedOff = true;
      return result;
    }
    const { value, candidate, attempts } = await withFailover<Answer>(
      candidates,
      call.signal,
      async (c) => {
        const t = performance.now();
        const done = callStarted(c);
        try {
          const ctx: CallContext = { account: c.account, upstreamModel: c.upstreamModel, signal: call.signal };
          const n = native && nativeOf(c, native);
          const r: Answer = n && native
            ? { kind: "native", result: await n.complete(native.dialect, native.request, ctx) }
            : { kind: "chat", result: await adapterFor(c.account.provider).complete(call.request, ctx) };
          reportSuccess(c, { latencyMs: performance.now() - t, rateLimit: r.result.rateLimit });
          return r;
        } finally {
          done();
        }
      },
      undefined,
      reportFailure,
    );
    if (value.kind === "native") {
      outcome = { status: "ok", candidate, usage: value.result.usage, attempts, text: value.result.text };
      return { kind: "native", dialect: native!.dialect, body: value.result.body, headers, cached: false };
    }
    const completion = filter ? filterCompletion(filter, value.result.completion) : value.result.completion;
    const content = completion.choices[0]?.message.content;
    outcome = { status: "ok", candidate, usage: value.result.usage, attempts, text: typeof content === "string" ? content : null };
    if (cacheWrite) cacheStore(cacheWrite.key, cacheWrite.apiKeyId, completion);
    return { kind: "completion", completion, headers, cached: false };
  } catch (err) {
    const failed = upstreamStarted ? failedUpstream(err, call) : refused(err);
    outcome = failed.outcome;
    const e = failed.error;
    // The id lets a client (or an operator) find the usage event of a failed call (a client that went away needs none).
    // Refused before the lookup (cacheWrite is set just before it): neither hit nor missed, so no header, unless the request did not qualify.
    if (!upstreamStarted) e.details.headers = { ...e.details.headers, "x-promptgate-completion-id": call.id, ...(cacheWrite || !cacheKeyId ? cacheHeader : {}) };
    else if (outcome.status !== "client_aborted") e.details.headers = { ...e.details.headers, "x-promptgate-completion-id": call.id };
    throw e;
  } finally {
    if (!handedOff) settlement.settle(outcome);
  }
}

type Answer = { kind: "native"; result: NativeResult } | { kind: "chat"; result: CompleteResult };

/** The account's native adapter for the call's dialect, or null when the call must be translated for it. */
function nativeOf(c: Candidate, native: NativeCall): NativeAdapter | null {
  const n = adapterFor(c.account.provider).native;
  return n && n.supports(native.dialect, c.account) ? n : null;
}

/** A call refused before any upstream was tried: validation, scopes, routing, quota. */
function refused(err: unknown): { outcome: Outcome; error: AppError } {
  const e = toAppError(err);
  // The database was needed (admission) and could not be reached: not the caller's doing, so not "rejected".
  // The event waits in the usage writer until the database is back (faults #14.3).
  const status = isDatabaseUnavailable(e) ? "unavailable" : "rejected";
  // An exhausted budget answers OpenAI's `insufficient_quota`; usage keeps the limit it hit (`extra.limit`).
  return { outcome: { status, errorCode: ((e.details.extra?.limit ?? e.details.extra?.code) as string | undefined) ?? e.code, httpStatus: e.status }, error: e };
}

/** A call whose upstream failed before any byte reached the client (it could still be retried or failed over). */
function failedUpstream(err: unknown, call: GatewayCall): { outcome: Outcome; error: AppError } {
  if (isAbortError(err) || call.signal.aborted) {
    return { outcome: { status: "client_aborted", errorCode: "client_aborted", countInput: true }, error: new AppError("bad_request", "The client closed the request") };
  }
  const failed = err instanceof AllAttemptsFailed ? err : undefined;
  const error = describeFailure(err);
  return {
    outcome: { status: "upstream_error", errorCode: failed?.last.code ?? "internal_error", attempts: failed?.attempts ?? 0, candidate: failed?.candidate ?? null, httpStatus: error.status },
    error,
  };
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

function deltaText(chunk: ChatCompletionChunk): string {
  let s = "";
  for (const c of chunk.choices) {
    if (typeof c.delta.content === "string") s += c.delta.content;
    for (const t of c.delta.tool_calls ?? []) s += t.function?.arguments ?? "";
  }
  return s;
}

type Opened = { t: number; done: () => void } & (
  | { kind: "chat"; upstream: UpstreamStream; it: AsyncIterator<ChatCompletionChunk>; first: IteratorResult<ChatCompletionChunk> }
  | { kind: "native"; upstream: NativeStream; it: AsyncIterator<NativeEvent>; first: IteratorResult<NativeEvent> }
);

/**
 * Opens the upstream and reads its first chunk (or event) before answering:
 * until then a failure can still be retried or failed over without the client
 * noticing. The relay is one for both kinds; only what it reads differs.
 */
async function openStream(
  call: GatewayCall, settlement: Settlement, candidates: Candidate[], filter: CompiledFilter | null, cacheWrite: CacheWrite | null,
  headers: Record<string, string>, native: NativeCall | null,
): Promise<CallResult> {
  const opened = await withFailover<Opened>(
    candidates,
    call.signal,
    async (c) => {
      const t = performance.now();
      const done = callStarted(c);
      try {
        const ctx: CallContext = { account: c.account, upstreamModel: c.upstreamModel, signal: call.signal };
        const n = native && nativeOf(c, native);
        if (n && native) {
          const upstream = await n.stream(native.dialect, native.request, ctx);
          try {
            return { kind: "native", upstream, it: upstream.events, first: await upstream.events.next(), done, t };
          } catch (err) {
            upstream.close();
            throw err;
          }
        }
        const upstream = await adapterFor(c.account.provider).stream(call.request, ctx);
        const it = upstream.chunks[Symbol.asyncIterator]();
        try {
          return { kind: "chat", upstream, it, first: await it.next(), done, t };
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
  const o = opened.value;
  const { done: callDone, t: callStart } = o;
  const { candidate, attempts } = opened;
  const ttftMs = Math.round(performance.now() - call.started);
  settlement.trace.event("first_token", { "promptgate.ttft_ms": ttftMs });
  settlement.trace.stage("stream", { "promptgate.filtered": filter !== null, "promptgate.native": o.kind === "native" });

  let text = "";
  let usage: Usage | null = null;
  // Who ended the stream early: the client (return), or the shutdown deadline.
  let closedByClient = false;
  let interrupted = false;
  let onInterrupt: ((err: AppError) => void) | null = null;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    untrack();
    callDone();
    o.upstream.close();
  };
  const settle = (out: Outcome) => {
    // A native stream knows its own usage and text; a canonical one is read as it goes.
    if (o.kind === "native") {
      usage = o.upstream.usage();
      text = o.upstream.text();
    }
    settlement.settle({ candidate, attempts, ttftMs, usage, text, ...out });
  };
  // At the shutdown deadline (lib/observability/lifecycle.ts) a stream still
  // open ends with an explicit error event, never a silent cut, and is settled
  // before the usage writer's final flush.
  const untrack = trackStream(() => {
    interrupted = true;
    onInterrupt?.(SHUTTING_DOWN);
    release();
    settle({ status: "error", errorCode: "shutting_down" });
  });

  async function* relay<T>(source: AsyncIterator<T>, first: IteratorResult<T> | null, observe: (item: T) => void, ended: () => void): AsyncGenerator<T, void> {
    let pending = first;
    // The client went away unless the stream ends otherwise.
    let outcome: Outcome = { status: "client_aborted", errorCode: "client_aborted" };
    try {
      for (;;) {
        const r = pending ?? (await source.next());
        pending = null;
        if (r.done) break;
        observe(r.value);
        yield r.value;
      }
      outcome = { status: "ok" };
      reportSuccess(candidate, { latencyMs: performance.now() - callStart, ttftMs, rateLimit: o.upstream.rateLimit });
      ended();
    } catch (err) {
      if (interrupted || closedByClient || isAbortError(err) || call.signal.aborted) return;
      const code = isProviderError(err) ? err.code : "internal_error";
      if (isProviderError(err)) reportFailure(candidate, err);
      else logger.error({ err }, "stream failed");
      outcome = { status: "upstream_error", errorCode: code };
      const upstreamType = isProviderError(err) ? err.upstreamType : undefined;
      throw new StreamFailure(new AppError("bad_gateway", `The upstream stream failed: ${isProviderError(err) ? err.message : "internal error"}`, {
        type: "upstream_error", extra: { code, ...(upstreamType ? { upstream_type: upstreamType } : {}) },
      }));
    } finally {
      release();
      settle(outcome);
    }
  }

  // The client went away: release the upstream now, even if the relay is waiting on it.
  function releasing<T>(gen: AsyncGenerator<T, void>): AsyncIterator<T> {
    return {
      next: () => gen.next(),
      return: (value?: unknown) => {
        closedByClient = true;
        o.upstream.close();
        return gen.return(value as undefined);
      },
    };
  }
  const interruptible: OnInterrupt = (listener) => {
    onInterrupt = listener;
  };

  if (o.kind === "native") {
    const events = releasing(relay<NativeEvent>(o.it, o.first, () => {}, () => {}));
    return { kind: "native-stream", dialect: native!.dialect, events, headers, cached: false, onInterrupt: interruptible };
  }

  // filter (stream side): masks across chunk boundaries, holding back at most the longest pattern - 1 characters.
  const source: AsyncIterator<ChatCompletionChunk> = filter ? filterChunks(filter, o.first, o.it) : o.it;
  // The response cache stores what the client was sent, rebuilt from the chunks, once the stream ends cleanly.
  const assembled = cacheWrite ? chunkAssembler() : null;
  const observe = (chunk: ChatCompletionChunk) => {
    if (isUsageChunk(chunk)) {
      usage = chunk.usage ?? null;
      assembled?.add(chunk);
    } else if (!filter || !segmentOf(chunk)) {
      text += deltaText(chunk);
      assembled?.add(chunk);
    }
  };
  const ended = () => {
    const done = assembled?.result();
    if (cacheWrite && done) cacheStore(cacheWrite.key, cacheWrite.apiKeyId, done);
  };
  const chunks = releasing(relay(source, filter ? null : o.first, observe, ended));
  return { kind: "stream", chunks, filtered: filter !== null, headers, cached: false, onInterrupt: interruptible };
}

// ---- Embeddings ---------------------------------------------------------------
// The same stages for a call whose answer is one JSON body and no output
// tokens: the key's request filter over the texts, scopes, routing (only
// accounts whose adapter embeds), admission of the input's tokens, failover,
// and the one settlement. The response cache is chat's and does not apply.

export type EmbeddingsResult = { headers: Record<string, string>; response: EmbeddingList };

/** Runs an embeddings call (createEmbeddingCall). Errors are thrown as AppErrors, the call settled. */
export async function runEmbeddings(call: GatewayCall & { embedding: EmbeddingRequest }): Promise<EmbeddingsResult> {
  const settlement = new Settlement(call);
  const { trace } = settlement;
  let req = call.embedding;
  let outcome: Outcome = { status: "rejected" };
  let upstreamStarted = false;
  try {
    trace.stage("filter");
    const filter = await resolveFilter(call.principal, call.options.filters);
    if (filter) req = filterEmbeddingInput(filter, req);
    trace.stage("resolve");
    assertModelAllowed(call.principal, req.model);
    trace.stage("route");
    const candidates = (await pickAccounts(req.model)).filter(
      (c) => adapterFor(c.account.provider).embed && (!call.options.accountId || c.account.id === call.options.accountId),
    );
    if (candidates.length === 0) {
      throw new AppError("not_found", `The model '${req.model}' does not exist or no enabled account serves embeddings for it`, {
        param: "model", extra: { code: "model_not_found" },
      });
    }
    trace.stage("admit");
    // Counted only if a quota policy applies.
    const admission = await admit(call.principal, { model: req.model, user: req.user, inputTokens: () => countEmbeddingTokens(req.model, req.input) }, { completionId: call.id });
    settlement.reservation = admission.reservation;
    const headers: Record<string, string> = { "x-promptgate-completion-id": call.id, ...admission.headers, ...call.options.headers };
    trace.stage("upstream");
    upstreamStarted = true;
    const { value, candidate, attempts } = await withFailover(
      candidates,
      call.signal,
      async (c) => {
        const t = performance.now();
        const done = callStarted(c);
        try {
          const r = await adapterFor(c.account.provider).embed!(req, { account: c.account, upstreamModel: c.upstreamModel, signal: call.signal });
          reportSuccess(c, { latencyMs: performance.now() - t, rateLimit: r.rateLimit });
          return r;
        } finally {
          done();
        }
      },
      undefined,
      reportFailure,
    );
    const tokens = value.response.usage.prompt_tokens;
    outcome = { status: "ok", candidate, attempts, usage: { prompt_tokens: tokens, completion_tokens: 0, total_tokens: tokens } };
    return { response: value.response, headers };
  } catch (err) {
    const failed = upstreamStarted ? failedUpstream(err, call) : refused(err);
    outcome = failed.outcome;
    const e = failed.error;
    if (outcome.status !== "client_aborted") e.details.headers = { ...e.details.headers, "x-promptgate-completion-id": call.id };
    throw e;
  } finally {
    settlement.settle(outcome);
  }
}

/**
 * The request filter over an embeddings call's texts (token ids are not text),
 * with chat's semantics: masked, or refused in block mode without echoing them.
 */
function filterEmbeddingInput(filter: CompiledFilter, req: EmbeddingRequest): EmbeddingRequest {
  const input = req.input;
  const texts = typeof input === "string" ? [input] : input.filter((i): i is string => typeof i === "string");
  if (texts.length === 0) return req;
  const asChat = { model: req.model, messages: texts.map((content) => ({ role: "user" as const, content })) };
  let out: typeof asChat;
  try {
    out = filterRequest(filter, asChat) as typeof asChat;
  } catch (err) {
    if (err instanceof AppError) err.details.param = "input";
    throw err;
  }
  if (out === asChat) return req;
  const masked = out.messages.map((m) => m.content);
  return { ...req, input: typeof input === "string" ? masked[0]! : masked };
}
