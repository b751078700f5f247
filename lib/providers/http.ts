import "server-only";
import { lookup as dnsLookup } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { Pool, type Dispatcher } from "undici";
import { activeProviderUrlPolicy, addressProblem, type ProviderUrlPolicy } from "./address-policy.ts";
import {
  ProviderError,
  abortError,
  clipMessage,
  isRetryableStatus,
  malformed,
  scrubSecrets,
} from "./errors.ts";
import { parseRateLimit, parseRetryAfterMs, type ResponseHeaders } from "./rate-limit.ts";
import { releasingStream } from "./releasing.ts";
import type { CallContext, ChatCompletionChunk, NativeEvent, NativeStream, RateLimitInfo, UpstreamStream, Usage } from "./types.ts";
import type { ProviderKind } from "./schemas.ts";

// Upstream HTTP goes through one keep-alive undici Pool per origin rather
// than global fetch or the provider SDKs: measured ~0.35 ms less overhead per
// request, and the pool gives us socket reuse across accounts sharing a host.
// Kept on globalThis so Next's dev reloads do not leak sockets.
const g = globalThis as typeof globalThis & { __promptgateUpstreamPools?: Map<string, Pool> };

function pools(): Map<string, Pool> {
  g.__promptgateUpstreamPools ??= new Map();
  return g.__promptgateUpstreamPools;
}

function poolFor(origin: string): Pool {
  const all = pools();
  let pool = all.get(origin);
  if (!pool || pool.closed || pool.destroyed) {
    // pipelining 1: a POST must never queue behind another request's response.
    pool = new Pool(origin, { pipelining: 1, connect: { lookup: upstreamLookup } });
    all.set(origin, pool);
  }
  return pool;
}

// ---- where upstream connections may go (SSRF) --------------------------------
//
// A base URL is checked as written when it is saved (lib/accounts/schemas.ts),
// but a hostname can resolve to anything, and can be re-pointed after the
// check (DNS rebinding). So every address a host resolves to is checked again
// at connect time, under the same policy, by the lookup the sockets use: a
// single blocked address refuses the host. IP literals never reach a lookup,
// so sendUpstream checks those itself (an account saved before a policy change
// is not re-validated).

const BLOCKED_ADDRESS = "PROMPTGATE_BLOCKED_ADDRESS";

function blockedAddress(host: string, address: string, problem: string): Error {
  const shown = address === host ? address : `${host} (${address})`;
  return Object.assign(new Error(`${shown} ${problem}`), { code: BLOCKED_ADDRESS });
}

/**
 * A `net.connect` lookup that resolves with `resolve` (the OS resolver unless a
 * test passes another) and refuses the host when any of its addresses is
 * blocked under the policy in force at that moment.
 */
export function guardedLookup(policy: () => ProviderUrlPolicy = activeProviderUrlPolicy, resolve: typeof dnsLookup = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, "");
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} resolved to no address`), { code: "ENOTFOUND" }), "");
      const p = policy();
      for (const a of addresses) {
        const problem = addressProblem(a.address, p);
        if (problem) return callback(blockedAddress(hostname, a.address, problem), "");
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

const upstreamLookup = guardedLookup();

/** The refusal for a URL whose host is a blocked IP literal, or null. */
function literalProblem(url: URL): Error | null {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (!isIP(host)) return null;
  const problem = addressProblem(host, activeProviderUrlPolicy());
  return problem ? blockedAddress(host, host, problem) : null;
}

/**
 * Graceful shutdown: lets in-flight upstream requests finish, then closes
 * every socket. With `force`, aborts them instead.
 */
export async function closeUpstreamPools(opts: { force?: boolean } = {}): Promise<void> {
  const all = [...pools().values()];
  pools().clear();
  await Promise.all(all.map((p) => (opts.force ? p.destroy() : p.close()).catch(() => {})));
}

export type UpstreamCall = {
  provider: ProviderKind;
  url: URL;
  headers: Record<string, string>;
  body: string;
  ctx: CallContext;
};

export type UpstreamBody = Dispatcher.ResponseData["body"];

export type UpstreamResponse = {
  status: number;
  headers: ResponseHeaders;
  body: UpstreamBody;
  rateLimit: RateLimitInfo;
};

const noop = () => {};

function positive(ms: number): boolean {
  return Number.isFinite(ms) && ms > 0;
}

/**
 * Sends the request and resolves as soon as response headers arrive, whatever
 * the status. `firstByteMs` bounds everything up to the headers (pool wait,
 * connect, TLS, generation of a non-streamed answer); `idleMs` bounds each gap
 * between body chunks while we are reading (undici pauses that timer while a
 * slow consumer is applying backpressure, so a slow client is not an idle upstream).
 */
export async function sendUpstream(call: UpstreamCall): Promise<UpstreamResponse> {
  const { signal, account } = call.ctx;
  if (signal.aborted) throw abortError(signal);
  const { firstByteMs, idleMs } = account.timeouts;

  // Our own controller, so the first-byte deadline can abort the request too.
  const controller = new AbortController();
  const forwardAbort = () => controller.abort(signal.reason);
  signal.addEventListener("abort", forwardAbort, { once: true });
  const deadline = positive(firstByteMs)
    ? setTimeout(() => controller.abort(firstByteTimeout(call.provider, firstByteMs)), firstByteMs)
    : undefined;

  let res: Dispatcher.ResponseData;
  try {
    const blocked = literalProblem(call.url);
    if (blocked) throw blocked;
    res = await poolFor(call.url.origin).request({
      method: "POST",
      path: call.url.pathname + call.url.search,
      headers: call.headers,
      body: call.body,
      signal: controller.signal,
      headersTimeout: positive(firstByteMs) ? firstByteMs : 0,
      bodyTimeout: positive(idleMs) ? idleMs : 0,
      // Explicit, as Node's default differs between versions: the most a
      // response may read ahead of its consumer before the socket is paused.
      highWaterMark: 16 * 1024,
    });
  } catch (err) {
    signal.removeEventListener("abort", forwardAbort);
    throw transportError(err, call);
  } finally {
    clearTimeout(deadline);
  }
  // Destroying the body ourselves (close(), early return) emits an error
  // that nobody else may be listening for.
  res.body.on("error", noop);
  res.body.once("close", () => signal.removeEventListener("abort", forwardAbort));
  const headers = res.headers as ResponseHeaders;
  return { status: res.statusCode, headers, body: res.body, rateLimit: parseRateLimit(headers) };
}

/**
 * A GET whose body is discarded, through the same guarded pools (the accounts'
 * "list models" probe); resolves with the status. Redirects are not followed.
 */
export async function upstreamStatus(url: URL, headers: Record<string, string>, signal: AbortSignal): Promise<number> {
  const blocked = literalProblem(url);
  if (blocked) throw blocked;
  const res = await poolFor(url.origin).request({ method: "GET", path: url.pathname + url.search, headers, signal });
  await res.body.dump().catch(() => {});
  return res.statusCode;
}

function firstByteTimeout(provider: ProviderKind, ms: number): ProviderError {
  return new ProviderError(`The ${provider} upstream sent no response headers within ${ms} ms`, {
    status: 504,
    code: "upstream_timeout",
    retryable: true,
    provider,
  });
}

const CONNECT_TIMEOUT_CODES = new Set(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "ETIMEDOUT"]);

/** Maps anything thrown by undici (request or body read) to a ProviderError or an AbortError. */
export function transportError(err: unknown, call: UpstreamCall): Error {
  const { signal, account } = call.ctx;
  if (signal.aborted) return abortError(signal);
  if (err instanceof ProviderError) return err;
  const code = errorCode(err);
  const detail = scrubSecrets(err instanceof Error ? err.message : String(err), account.apiKey);
  if (code && CONNECT_TIMEOUT_CODES.has(code)) {
    return new ProviderError(`The ${call.provider} upstream timed out before responding (${detail})`, {
      status: 504,
      code: "upstream_timeout",
      retryable: true,
      provider: call.provider,
      cause: err,
    });
  }
  if (code === "UND_ERR_BODY_TIMEOUT") return idleTimeout(call, err);
  if (code === BLOCKED_ADDRESS) {
    // Not the upstream's fault and not worth a retry: the account points somewhere it may not.
    return new ProviderError(`Refused to connect to the ${call.provider} upstream: ${detail}`, {
      status: 502,
      code: "provider_misconfigured",
      retryable: false,
      provider: call.provider,
      cause: err,
    });
  }
  if (code === "UND_ERR_INVALID_ARG" || code === "ERR_INVALID_URL") {
    // e.g. a stray newline in a pasted API key: retrying cannot help.
    return new ProviderError(`The request to the ${call.provider} upstream could not be built: ${detail}`, {
      status: 500,
      code: "provider_misconfigured",
      retryable: false,
      provider: call.provider,
      cause: err,
    });
  }
  // Sockets reset or refused, DNS failures, TLS errors, premature close:
  // all "could not talk to the upstream", all worth another attempt.
  return new ProviderError(`Connection to the ${call.provider} upstream failed: ${detail}`, {
    status: 502,
    code: "upstream_connection_error",
    retryable: true,
    provider: call.provider,
    cause: err,
  });
}

export function idleTimeout(call: UpstreamCall, cause?: unknown): ProviderError {
  return new ProviderError(
    `The ${call.provider} upstream sent nothing for ${call.ctx.account.timeouts.idleMs} ms mid-response`,
    { status: 504, code: "upstream_idle_timeout", retryable: true, provider: call.provider, cause },
  );
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") return code;
  // Happy-eyeballs connects fail with an AggregateError of per-address errors.
  const inner = (err as { errors?: unknown[] }).errors?.[0];
  return inner === undefined ? undefined : errorCode(inner);
}

/** Reads the whole body as text, mapping transport failures; over `maxBytes` is malformed. */
export async function readBodyText(res: UpstreamResponse, call: UpstreamCall, maxBytes: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > maxBytes) {
        res.body.destroy();
        throw malformed(call.provider, `response body larger than ${maxBytes} bytes`);
      }
      parts.push(buf);
    }
  } catch (err) {
    throw transportError(err, call);
  }
  return Buffer.concat(parts).toString("utf8");
}

const ERROR_BODY_LIMIT = 64 * 1024;

export type UpstreamErrorDetails = { message?: string; type?: string };

/**
 * Turns a non-2xx response into a ProviderError. `extract` pulls the message
 * out of the provider's error envelope; an unparseable body (an HTML page
 * from a proxy, say) yields no upstreamMessage rather than noise.
 */
export async function httpError(
  res: UpstreamResponse,
  call: UpstreamCall,
  extract: (json: unknown) => UpstreamErrorDetails | undefined,
): Promise<Error> {
  let text = "";
  try {
    text = await readBodyText(res, call, ERROR_BODY_LIMIT);
  } catch (err) {
    if (call.ctx.signal.aborted) return abortError(call.ctx.signal);
    // The status alone is enough to classify the failure.
  }
  let details: UpstreamErrorDetails | undefined;
  try {
    details = text ? extract(JSON.parse(text)) : undefined;
  } catch {
    details = undefined;
  }
  const upstreamMessage =
    details?.message !== undefined ? clipMessage(scrubSecrets(details.message, call.ctx.account.apiKey)) : undefined;
  const { status } = res;
  const isHttpError = status >= 400 && status <= 599;
  return new ProviderError(
    `The ${call.provider} upstream returned HTTP ${status}${upstreamMessage ? `: ${upstreamMessage}` : ""}`,
    {
      status: isHttpError ? status : 502,
      code: "upstream_http_error",
      retryable: isHttpError && isRetryableStatus(status),
      provider: call.provider,
      retryAfterMs: parseRetryAfterMs(res.headers),
      upstreamMessage,
      upstreamType: details?.type,
    },
  );
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

export function isEventStream(res: UpstreamResponse): boolean {
  const type = res.headers["content-type"];
  return (Array.isArray(type) ? type[0] : type)?.includes("text/event-stream") ?? false;
}

/** What an adapter sends on every call to one account: the URL and the headers, for streams and not. */
export type AccountTarget = { url: URL; headers: { stream: Readonly<Record<string, string>>; complete: Readonly<Record<string, string>> } };
const targets = new WeakMap<CallContext["account"], AccountTarget>();

/**
 * The account's target, built once per account object rather than per call:
 * the registry replaces the object whenever the account changes. The headers
 * are frozen, as every call to the account shares them.
 */
export function accountTarget(ctx: CallContext, build: (ctx: CallContext) => { url: URL; headers: (stream: boolean) => Record<string, string> }): AccountTarget {
  let t = targets.get(ctx.account);
  if (!t) {
    const b = build(ctx);
    t = { url: b.url, headers: { stream: Object.freeze(b.headers(true)), complete: Object.freeze(b.headers(false)) } };
    targets.set(ctx.account, t);
  }
  return t;
}

/** Request headers shared by every adapter: JSON in, plus the account's extra headers. */
export function baseHeaders(call: { ctx: CallContext }, stream: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: stream ? "text/event-stream" : "application/json",
    "user-agent": "promptgate",
  };
  const extra = call.ctx.account.settings.headers;
  if (extra && typeof extra === "object") {
    for (const [k, v] of Object.entries(extra)) if (typeof v === "string") headers[k.toLowerCase()] = v;
  }
  return headers;
}

export type StreamState = {
  /** Set once the end-of-stream marker was read: the body may be drained and reused. */
  finished: boolean;
  usageCounted: boolean;
};

/**
 * Wraps an adapter's chunk generator so that ending iteration early (or
 * close(), even before the first pull) destroys the upstream request at once,
 * instead of leaving a socket paused on unread data.
 */
export function toUpstreamStream(
  res: UpstreamResponse,
  source: AsyncGenerator<ChatCompletionChunk, void, undefined>,
  state: StreamState,
): UpstreamStream {
  return releasingStream(
    source,
    () => {
      if (!state.finished && !res.body.destroyed) res.body.destroy();
    },
    { rateLimit: res.rateLimit, usageCounted: () => state.usageCounted },
  );
}

/**
 * The native-passthrough counterpart of toUpstreamStream: the upstream's events
 * as a NativeStream, released (socket destroyed unless the stream finished) when
 * the consumer stops early or closes it, even before the first pull.
 */
export function toNativeStream(
  res: UpstreamResponse,
  source: AsyncGenerator<NativeEvent, void, undefined>,
  state: StreamState,
  seen: { usage: () => Usage | null; text: () => string },
): NativeStream {
  const release = () => {
    if (!state.finished && !res.body.destroyed) res.body.destroy();
  };
  return {
    events: {
      next: () => source.next(),
      return: (value?: unknown) => {
        release();
        return source.return(value as undefined) as Promise<IteratorResult<NativeEvent>>;
      },
    },
    usage: seen.usage,
    text: seen.text,
    rateLimit: res.rateLimit,
    close() {
      release();
      source.return(undefined).catch(() => {});
    },
  };
}
