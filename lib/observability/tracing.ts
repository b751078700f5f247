import "server-only";
import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";

// A minimal tracing seam with OpenTelemetry's data model (W3C trace and span
// ids, attributes, events, status) and no dependency: the OpenTelemetry SDK is
// not installed in this project. Spans are exported either to an in-memory
// exporter (tests) or as OTLP/HTTP JSON to OTEL_EXPORTER_OTLP_ENDPOINT, which
// every OpenTelemetry collector accepts. With no exporter installed every span
// is one shared no-op object, so the gateway pays nothing.
//
// State lives on globalThis: instrumentation.ts installs the exporter in one
// bundle and the route handlers record spans from another.

export type AttributeValue = string | number | boolean;
export type Attributes = Record<string, AttributeValue>;

export type SpanEvent = { name: string; timeUnixNano: bigint; attributes: Attributes };
export type SpanStatus = { code: "unset" | "ok" | "error"; message?: string };

export type FinishedSpan = {
  name: string;
  kind: "server" | "internal" | "client";
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  startUnixNano: bigint;
  endUnixNano: bigint;
  attributes: Attributes;
  events: SpanEvent[];
  status: SpanStatus;
};

export interface SpanExporter {
  export(spans: FinishedSpan[]): void;
  /** Sends whatever is buffered (shutdown, tests). */
  flush(): Promise<void>;
}

export interface Span {
  readonly recording: boolean;
  readonly traceId: string;
  readonly spanId: string;
  setAttributes(attrs: Attributes): Span;
  addEvent(name: string, attrs?: Attributes): Span;
  setStatus(status: SpanStatus): Span;
  end(): void;
}

type State = { exporter: SpanExporter | null; context: AsyncLocalStorage<RequestTraceContext> };
type RequestTraceContext = { requestId: string; traceId?: string; parentSpanId?: string };
const g = globalThis as typeof globalThis & { __pgTracing?: State };
const state: State = (g.__pgTracing ??= { exporter: null, context: new AsyncLocalStorage() });

export const tracingEnabled = (): boolean => state.exporter !== null;

/** Installs (or, with null, removes) the process's span exporter. */
export function setSpanExporter(exporter: SpanExporter | null): void {
  state.exporter = exporter;
}

export async function flushSpans(): Promise<void> {
  await state.exporter?.flush();
}

const nowNano = () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
const hex = (bytes: number) => randomBytes(bytes).toString("hex");

const noopSpan: Span = {
  recording: false,
  traceId: "0".repeat(32),
  spanId: "0".repeat(16),
  setAttributes: () => noopSpan,
  addEvent: () => noopSpan,
  setStatus: () => noopSpan,
  end: () => {},
};

class RecordingSpan implements Span {
  readonly recording = true;
  readonly spanId = hex(8);
  private readonly start = nowNano();
  private readonly attributes: Attributes;
  private readonly events: SpanEvent[] = [];
  private status: SpanStatus = { code: "unset" };
  private ended = false;
  constructor(
    private readonly name: string,
    readonly traceId: string,
    private readonly parentSpanId: string | null,
    private readonly kind: FinishedSpan["kind"],
    attributes: Attributes,
  ) {
    this.attributes = { ...attributes };
  }
  setAttributes(attrs: Attributes) {
    Object.assign(this.attributes, attrs);
    return this;
  }
  addEvent(name: string, attributes: Attributes = {}) {
    this.events.push({ name, timeUnixNano: nowNano(), attributes });
    return this;
  }
  setStatus(status: SpanStatus) {
    this.status = status;
    return this;
  }
  end() {
    if (this.ended) return;
    this.ended = true;
    state.exporter?.export([{
      name: this.name, kind: this.kind, traceId: this.traceId, spanId: this.spanId, parentSpanId: this.parentSpanId,
      startUnixNano: this.start, endUnixNano: nowNano(), attributes: this.attributes, events: this.events, status: this.status,
    }]);
  }
}

/** Starts a span; a child when `parent` is given, else a root in the current request's trace (or a new trace). */
export function startSpan(name: string, opts: { parent?: Span; attributes?: Attributes; kind?: FinishedSpan["kind"] } = {}): Span {
  if (!state.exporter) return noopSpan;
  if (opts.parent?.recording) return new RecordingSpan(name, opts.parent.traceId, opts.parent.spanId, opts.kind ?? "internal", opts.attributes ?? {});
  const ctx = state.context.getStore();
  const attributes = ctx ? { "promptgate.request_id": ctx.requestId, ...opts.attributes } : (opts.attributes ?? {});
  return new RecordingSpan(name, ctx?.traceId ?? hex(16), ctx?.parentSpanId ?? null, opts.kind ?? "server", attributes);
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/**
 * Runs `fn` with the request's id (and the caller's W3C `traceparent`, when
 * valid) as the trace context, so spans started inside join the caller's trace
 * and carry the request id. Free when tracing is off.
 */
export function withRequestTrace<T>(requestId: string, traceparent: string | null, fn: () => T): T {
  if (!state.exporter) return fn();
  const m = traceparent ? TRACEPARENT.exec(traceparent) : null;
  const valid = m && !/^0+$/.test(m[1]!) && !/^0+$/.test(m[2]!);
  return state.context.run({ requestId, traceId: valid ? m[1] : undefined, parentSpanId: valid ? m[2] : undefined }, fn);
}

/** The W3C traceparent of a span, for response headers and logs. */
export const traceparentOf = (s: Span): string => `00-${s.traceId}-${s.spanId}-01`;

/**
 * One gateway call: a root span with the pipeline's stages as consecutive
 * children (filter → resolve → route → admit → upstream → stream → settle, as
 * lib/gateway/chat.ts marks them; `stream` covers the response filter and the
 * delivery). `stage()` ends the current stage and starts the next, so the
 * gateway marks each boundary with one call.
 */
export class GatewayTrace {
  readonly root: Span;
  private current: Span;
  constructor(attributes: Attributes) {
    this.root = startSpan("gateway.chat", { attributes });
    this.current = noopSpan;
  }
  get recording(): boolean {
    return this.root.recording;
  }
  stage(name: string, attributes?: Attributes): Span {
    if (!this.root.recording) return noopSpan;
    this.current.end();
    this.current = startSpan(name, { parent: this.root, attributes });
    return this.current;
  }
  /** An event on the current stage (for example the first token on `upstream`). */
  event(name: string, attributes?: Attributes): void {
    this.current.addEvent(name, attributes);
  }
  /** Ends the call: the current stage, a `settle` span, and the root with the call's outcome. */
  end(o: TraceOutcome): void {
    if (!this.root.recording) return;
    const failed = o.status === "upstream_error" || o.status === "error";
    this.current.end();
    const settle = startSpan("settle", { parent: this.root, attributes: { "promptgate.status": o.status } });
    settle.end();
    this.root.setAttributes({
      "promptgate.status": o.status,
      "promptgate.account_id": o.accountId ?? "",
      "gen_ai.response.model": o.servedModel ?? "",
      "gen_ai.usage.input_tokens": o.inputTokens,
      "gen_ai.usage.output_tokens": o.outputTokens,
      "promptgate.attempts": o.attempts,
      "promptgate.latency_ms": o.latencyMs,
      ...(o.ttftMs !== null ? { "promptgate.ttft_ms": o.ttftMs } : {}),
      ...(o.errorCode ? { "promptgate.error_code": o.errorCode } : {}),
    });
    this.root.setStatus(failed ? { code: "error", message: o.errorCode ?? o.status } : { code: "ok" });
    this.root.end();
  }
}

/** What the gateway knows when it settles a call (a subset of the usage event). */
export type TraceOutcome = {
  status: string; accountId: string | null; servedModel: string | null; inputTokens: number; outputTokens: number;
  attempts: number; latencyMs: number; ttftMs: number | null; errorCode: string | null;
};

const noopTrace = Object.assign(Object.create(GatewayTrace.prototype) as GatewayTrace, { root: noopSpan, current: noopSpan });

/** A GatewayTrace, or one shared no-op trace when tracing is off. */
export function startGatewayTrace(attributes: () => Attributes): GatewayTrace {
  return state.exporter ? new GatewayTrace(attributes()) : noopTrace;
}

/** Collects finished spans in memory; for tests. */
export class InMemorySpanExporter implements SpanExporter {
  readonly spans: FinishedSpan[] = [];
  export(spans: FinishedSpan[]) {
    this.spans.push(...spans);
  }
  async flush() {}
  reset() {
    this.spans.length = 0;
  }
}

// ─── OTLP/HTTP JSON ───

type AnyValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };
const anyValue = (v: AttributeValue): AnyValue =>
  typeof v === "string" ? { stringValue: v } : typeof v === "boolean" ? { boolValue: v } : Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
const kv = (attrs: Attributes) => Object.entries(attrs).map(([key, value]) => ({ key, value: anyValue(value) }));
const KIND = { internal: 1, server: 2, client: 3 } as const;
const STATUS = { unset: 0, ok: 1, error: 2 } as const;

/** The OTLP/JSON request body for a batch of spans (the collector's `/v1/traces` format). */
export function otlpTraceRequest(spans: FinishedSpan[], resource: Attributes) {
  return {
    resourceSpans: [{
      resource: { attributes: kv(resource) },
      scopeSpans: [{
        scope: { name: "promptgate" },
        spans: spans.map((s) => ({
          traceId: s.traceId, spanId: s.spanId, ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
          name: s.name, kind: KIND[s.kind],
          startTimeUnixNano: String(s.startUnixNano), endTimeUnixNano: String(s.endUnixNano),
          attributes: kv(s.attributes),
          events: s.events.map((e) => ({ name: e.name, timeUnixNano: String(e.timeUnixNano), attributes: kv(e.attributes) })),
          status: { code: STATUS[s.status.code], ...(s.status.message ? { message: s.status.message } : {}) },
        })),
      }],
    }],
  };
}

/** Parses OTEL_EXPORTER_OTLP_HEADERS (`k=v,k2=v2`, values URL-encoded). */
export function parseOtlpHeaders(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (raw ?? "").split(",")) {
    const i = part.indexOf("=");
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

/**
 * Batches spans and POSTs them as OTLP/HTTP JSON every `intervalMs` or every
 * `maxBatch` spans. A failed export is dropped (with the count kept) rather
 * than retried: traces are samples, and the hot path must never wait on them.
 */
export class OtlpHttpExporter implements SpanExporter {
  private buffer: FinishedSpan[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();
  dropped = 0;
  constructor(
    private readonly url: string,
    private readonly opts: { headers?: Record<string, string>; resource?: Attributes; intervalMs?: number; maxBatch?: number; maxQueue?: number } = {},
  ) {}
  export(spans: FinishedSpan[]) {
    const room = (this.opts.maxQueue ?? 10_000) - this.buffer.length;
    if (room < spans.length) this.dropped += spans.length - Math.max(0, room);
    this.buffer.push(...spans.slice(0, Math.max(0, room)));
    if (this.buffer.length >= (this.opts.maxBatch ?? 512)) void this.send();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.send(), this.opts.intervalMs ?? 1000);
      this.timer.unref();
    }
  }
  private send(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buffer.splice(0);
    if (!batch.length) return this.sending;
    const body = JSON.stringify(otlpTraceRequest(batch, { "service.name": "promptgate", ...this.opts.resource }));
    this.sending = this.sending.then(async () => {
      try {
        const res = await fetch(this.url, {
          method: "POST", headers: { "content-type": "application/json", ...this.opts.headers }, body, signal: AbortSignal.timeout(10_000),
        });
        if (!res.ok) this.dropped += batch.length;
        await res.body?.cancel();
      } catch {
        this.dropped += batch.length;
      }
    });
    return this.sending;
  }
  flush(): Promise<void> {
    return this.send();
  }
}

/**
 * The exporter OpenTelemetry's standard variables ask for, or null when
 * neither OTEL_EXPORTER_OTLP_TRACES_ENDPOINT nor OTEL_EXPORTER_OTLP_ENDPOINT is set.
 */
export function otlpExporterFromEnv(env: Record<string, string | undefined> = process.env): OtlpHttpExporter | null {
  const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || (env.OTEL_EXPORTER_OTLP_ENDPOINT ? `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, "")}/v1/traces` : "");
  if (!url) return null;
  return new OtlpHttpExporter(url, {
    headers: parseOtlpHeaders(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS ?? env.OTEL_EXPORTER_OTLP_HEADERS),
    resource: { "service.name": env.OTEL_SERVICE_NAME || "promptgate", "service.instance.id": `${process.pid}` },
  });
}
