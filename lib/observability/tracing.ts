import "server-only";
import { AsyncLocalStorage } from "node:async_hooks";
import {
  ROOT_CONTEXT, SpanKind, SpanStatusCode, context as otelContext, propagation, trace,
  type Attributes, type Context, type Span, type TracerProvider,
} from "@opentelemetry/api";

// Gateway traces through the OpenTelemetry API. instrumentation.ts registers a
// NodeTracerProvider (BatchSpanProcessor → OTLPTraceExporter) only when an
// OTLP endpoint is configured; otherwise the API's global tracer stays the
// default no-op and, before even that, startGatewayTrace hands back one shared
// no-op trace, so a call with tracing off builds no attributes and no spans.
//
// The SDK packages are imported dynamically (registerTracingFromEnv), so a
// process without an endpoint never loads them. The API keeps its provider on
// globalThis (Symbol.for("opentelemetry.js.api.1")): instrumentation.ts
// registers it from one bundle and the route handlers record from another.

export type { Span, Attributes };

const TRACER = "promptgate";

type RequestTraceContext = { requestId: string; parent: Context };
/** An SDK provider: NodeTracerProvider's register() also installs the async-hooks context manager and the W3C propagator. */
export type SdkTracerProvider = TracerProvider & { register?(): void; forceFlush?(): Promise<void>; shutdown?(): Promise<void> };
type State = { enabled: boolean; provider: SdkTracerProvider | null; context: AsyncLocalStorage<RequestTraceContext> };
const g = globalThis as typeof globalThis & { __pgTracing?: State };
const state: State = (g.__pgTracing ??= { enabled: false, provider: null, context: new AsyncLocalStorage() });

export const tracingEnabled = (): boolean => state.enabled;

/**
 * Makes `provider` the process's global tracer provider (or, with null, goes
 * back to the API's no-op tracer). The API accepts one global provider, so a
 * previous one is unregistered first; tests swap in an SDK provider with an
 * InMemorySpanExporter this way.
 */
export function setTracerProvider(provider: SdkTracerProvider | null): void {
  trace.disable();
  propagation.disable();
  otelContext.disable();
  state.provider = provider;
  state.enabled = provider !== null;
  if (provider?.register) provider.register();
  else if (provider) trace.setGlobalTracerProvider(provider);
}

/** Sends whatever the batch processor still holds (shutdown, tests). */
export async function flushSpans(): Promise<void> {
  await state.provider?.forceFlush?.();
}

/**
 * Registers a NodeTracerProvider exporting OTLP/HTTP (JSON) when
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT is set;
 * the exporter reads those and OTEL_EXPORTER_OTLP_(TRACES_)HEADERS itself.
 * Returns whether tracing is now on.
 */
export async function registerTracingFromEnv(env: Record<string, string | undefined> = process.env): Promise<boolean> {
  if (!env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT && !env.OTEL_EXPORTER_OTLP_ENDPOINT) return false;
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }, { ATTR_SERVICE_NAME }] = await Promise.all([
    import("@opentelemetry/sdk-trace-node"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
    import("@opentelemetry/semantic-conventions"),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME || "promptgate", "service.instance.id": `${process.pid}` }),
    // The batch processor drops spans when its queue is full rather than ever
    // making a request wait on the collector.
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 1000 })],
  });
  setTracerProvider(provider);
  return true;
}

/** Shuts the provider down after a last flush (graceful shutdown). */
export async function shutdownTracing(): Promise<void> {
  await state.provider?.shutdown?.();
}

const tracer = () => trace.getTracer(TRACER);
// The API's own non-recording span: what every span is while tracing is off.
const noopSpan = trace.wrapSpanContext({ traceId: "0".repeat(32), spanId: "0".repeat(16), traceFlags: 0 });

/** Starts a span: a child of `parent` when given, else of the current request's context (caller's traceparent), else a root. */
export function startSpan(name: string, opts: { parent?: Span; attributes?: Attributes; kind?: SpanKind } = {}): Span {
  if (!state.enabled) return noopSpan;
  const req = state.context.getStore();
  const parentCtx = opts.parent ? trace.setSpan(req?.parent ?? ROOT_CONTEXT, opts.parent) : (req?.parent ?? otelContext.active());
  const attributes = !opts.parent && req ? { "promptgate.request_id": req.requestId, ...opts.attributes } : opts.attributes;
  return tracer().startSpan(name, { kind: opts.kind ?? (opts.parent ? SpanKind.INTERNAL : SpanKind.SERVER), attributes }, parentCtx);
}

/**
 * Runs `fn` with the request's id (and the caller's W3C `traceparent`, when
 * valid) as the trace context, so spans started inside join the caller's trace
 * and carry the request id. Free when tracing is off.
 */
export function withRequestTrace<T>(requestId: string, traceparent: string | null, fn: () => T): T {
  if (!state.enabled) return fn();
  // The W3C propagator validates the header (version, all-zero ids) and ignores a bad one.
  const parent = traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : otelContext.active();
  return state.context.run({ requestId, parent }, fn);
}

/** The W3C traceparent of a span, for response headers and logs. */
export const traceparentOf = (s: Span): string => {
  const c = s.spanContext();
  return `00-${c.traceId}-${c.spanId}-0${c.traceFlags & 1}`;
};

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
    return this.root.isRecording();
  }
  stage(name: string, attributes?: Attributes): Span {
    if (!this.recording) return noopSpan;
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
    if (!this.recording) return;
    const failed = o.status === "upstream_error" || o.status === "error";
    this.current.end();
    this.current = noopSpan;
    startSpan("settle", { parent: this.root, attributes: { "promptgate.status": o.status } }).end();
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
    this.root.setStatus(failed ? { code: SpanStatusCode.ERROR, message: o.errorCode ?? o.status } : { code: SpanStatusCode.OK });
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
  return state.enabled ? new GatewayTrace(attributes()) : noopTrace;
}
