import "server-only";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { activeStreams } from "./lifecycle";

// Prometheus metrics: one registry per process, kept on globalThis because Next
// loads this module once per bundle (instrumentation, each route) and every copy
// must count into the same series. Recording functions are synchronous and
// allocation-light: they run on the gateway's hot path. Scrape-time values that
// live in other domains (usage queue, DB pool, circuit states) are set by
// scrape.ts, which only the metrics route imports, so nothing here depends on a
// domain that itself logs through lib/observability.
//
// The metric names are a contract: deploy/prometheus/alerts.yml and the SLO card
// (slo.ts) use them, and tests/unit/observability/alert-rules.test.ts checks that
// every name the rules reference is exported here.

/** Latency buckets in seconds. The SLO latency threshold (SLO_LATENCY_P95_MS, default 2500 ms) must be one of them. */
export const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const FLUSH_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Circuit states as gauge values: closed 0, half-open 1, open 2. */
export const CIRCUIT_STATES = { closed: 0, half_open: 1, open: 2 } as const;
export type CircuitState = keyof typeof CIRCUIT_STATES;

function create() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const r = [registry];
  return {
    registry,
    httpRequests: new Counter({
      name: "promptgate_http_requests_total", help: "API requests answered, by route pattern, method and status.",
      labelNames: ["route", "method", "status"] as const, registers: r,
    }),
    httpDuration: new Histogram({
      name: "promptgate_http_request_duration_seconds", help: "Time until the response (headers, for streams) was returned, by route pattern.",
      labelNames: ["route", "method"] as const, buckets: LATENCY_BUCKETS, registers: r,
    }),
    gatewayRequests: new Counter({
      name: "promptgate_gateway_requests_total",
      help: "Gateway calls by outcome (status: ok, client_aborted, upstream_error, rejected, error), model and account.",
      labelNames: ["model", "account", "status"] as const, registers: r,
    }),
    gatewayDuration: new Histogram({
      name: "promptgate_gateway_request_duration_seconds", help: "Gateway call duration, start to settle (stream end for streams), by model and account.",
      labelNames: ["model", "account", "stream"] as const, buckets: LATENCY_BUCKETS, registers: r,
    }),
    gatewayTtft: new Histogram({
      name: "promptgate_gateway_ttft_seconds",
      help: "Time to first token of successful calls (non-streamed calls: the whole response), by model and account. The latency SLI.",
      labelNames: ["model", "account", "stream"] as const, buckets: LATENCY_BUCKETS, registers: r,
    }),
    tokens: new Counter({
      name: "promptgate_gateway_tokens_total", help: "Tokens by model and direction (input, output, cached).",
      labelNames: ["model", "direction"] as const, registers: r,
    }),
    cost: new Counter({
      name: "promptgate_gateway_cost_usd_total", help: "Cost in USD of written usage events, by model (priced when the event is written).",
      labelNames: ["model"] as const, registers: r,
    }),
    upstreamErrors: new Counter({
      name: "promptgate_upstream_errors_total", help: "Failed upstream attempts (retries included), by account and error code.",
      labelNames: ["account", "code"] as const, registers: r,
    }),
    circuitState: new Gauge({
      name: "promptgate_account_circuit_state", help: "Circuit breaker state per account: 0 closed, 1 half-open, 2 open.",
      labelNames: ["account"] as const, registers: r,
    }),
    accountInfo: new Gauge({
      name: "promptgate_account_info", help: "Always 1; maps an account id to its name and provider (join on `account`).",
      labelNames: ["account", "name", "provider"] as const, registers: r,
    }),
    quotaRejections: new Counter({
      name: "promptgate_quota_rejections_total", help: "Requests refused by a quota, by quota type.",
      labelNames: ["type"] as const, registers: r,
    }),
    activeStreams: new Gauge({
      name: "promptgate_active_streams", help: "Streaming responses in flight on this instance.", registers: r,
      collect() {
        this.set(activeStreams());
      },
    }),
    usageQueue: new Gauge({ name: "promptgate_usage_queue_depth", help: "Usage events queued in memory, not yet written.", registers: r }),
    usageFlush: new Histogram({
      name: "promptgate_usage_flush_duration_seconds", help: "Time to write one usage batch, by outcome (ok, failed).",
      labelNames: ["outcome"] as const, buckets: FLUSH_BUCKETS, registers: r,
    }),
    usageFlushedEvents: new Counter({ name: "promptgate_usage_events_written_total", help: "Usage events written to the database.", registers: r }),
    usageRefusedEvents: new Counter({
      name: "promptgate_usage_events_refused_total",
      help: "Usage events Postgres refused as data (each logged with its completion id); the rest of their batch was written.",
      registers: r,
    }),
    dbPool: new Gauge({
      name: "promptgate_db_pool_connections", help: "Database pool connections by state (in_use, idle, total).",
      labelNames: ["state"] as const, registers: r,
    }),
    dbWaiting: new Gauge({ name: "promptgate_db_pool_waiting", help: "Queries waiting for a free pool connection.", registers: r }),
  };
}

type Metrics = ReturnType<typeof create>;
const g = globalThis as typeof globalThis & { __pgMetrics?: Metrics };

/** The process's metrics, created on first use. */
export function metrics(): Metrics {
  return (g.__pgMetrics ??= create());
}

// Label values that come from requests (model names, error codes) are capped per
// label, so a client sending random model names cannot grow the series without
// bound. Routes are labelled by pattern, a fixed set; the cap only backs that up.
const MAX_VALUES = 200;
const seen = new Map<string, Set<string>>();
function bounded(label: string, value: string): string {
  let set = seen.get(label);
  if (!set) seen.set(label, (set = new Set()));
  if (set.has(value)) return value;
  if (set.size >= MAX_VALUES) return "other";
  set.add(value);
  return value;
}

// The labelled children of the hot-path metrics, resolved once per label set:
// prom-client hashes a label object on every inc/observe, a Map lookup by one
// string key is far cheaper. The label values are bounded, so the maps are too.
type Child = { inc(v?: number): void } | { observe(v: number): void };
const children = new Map<unknown, Map<string, Child>>();
function child<C extends Child>(metric: { labels(labels: Record<string, string>): C }, key: string, labels: () => Record<string, string>): C {
  let byKey = children.get(metric);
  if (!byKey) children.set(metric, (byKey = new Map()));
  let c = byKey.get(key) as C | undefined;
  if (!c) byKey.set(key, (c = metric.labels(labels())));
  return c;
}

/** One answered API request; `route` is its app/api pattern (lib/http/route-patterns.ts), never the raw path. */
export function recordHttpRequest(method: string, route: string, status: number, ms: number): void {
  const m = metrics();
  route = bounded("route", route);
  const key = `${route}\u0000${method}`;
  child(m.httpRequests, `${key}\u0000${status}`, () => ({ route, method, status: String(status) })).inc();
  child(m.httpDuration, key, () => ({ route, method })).observe(ms / 1000);
}

/** What the gateway knows when a call is settled (a subset of the usage event). */
export type GatewayOutcome = {
  requestedModel: string;
  servedModel: string | null;
  accountId: string | null;
  status: string;
  stream: boolean;
  latencyMs: number;
  ttftMs: number | null;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
};

/** Records one settled gateway call. Called once per call, from the gateway's settler. */
export function recordGatewayCall(o: GatewayOutcome): void {
  const m = metrics();
  // Rejected calls may name any model; only served ones are bounded by the account configuration.
  const model = bounded("model", o.servedModel ?? (o.accountId ? o.requestedModel : "none"));
  const account = o.accountId ?? "none";
  const stream = o.stream ? "true" : "false";
  const key = `${model}\u0000${account}`;
  child(m.gatewayRequests, `${key}\u0000${o.status}`, () => ({ model, account, status: o.status })).inc();
  child(m.gatewayDuration, `${key}\u0000${stream}`, () => ({ model, account, stream })).observe(o.latencyMs / 1000);
  if (o.status === "ok") child(m.gatewayTtft, `${key}\u0000${stream}`, () => ({ model, account, stream })).observe((o.ttftMs ?? o.latencyMs) / 1000);
  if (o.inputTokens) child(m.tokens, `${model}\u0000input`, () => ({ model, direction: "input" })).inc(o.inputTokens);
  if (o.outputTokens) child(m.tokens, `${model}\u0000output`, () => ({ model, direction: "output" })).inc(o.outputTokens);
  if (o.cachedTokens) child(m.tokens, `${model}\u0000cached`, () => ({ model, direction: "cached" })).inc(o.cachedTokens);
}

/** One failed upstream attempt (a retried one included). */
export function recordUpstreamError(accountId: string, code: string): void {
  metrics().upstreamErrors.inc({ account: accountId, code: bounded("code", code) });
}

/**
 * For lib/quota: call once per request refused by a quota, with the kind of
 * limit that refused it (e.g. "requests_per_minute", "tokens_per_day", "cost_per_month").
 */
export function recordQuotaRejection(type: string): void {
  metrics().quotaRejections.inc({ type: bounded("quota_type", type) });
}

/** For lib/accounts: call on every circuit transition (the scrape also reads current states when lib/accounts exports them). */
export function setCircuitState(accountId: string, state: CircuitState): void {
  metrics().circuitState.set({ account: accountId }, CIRCUIT_STATES[state]);
}

/** An event the database refused as data, dropped from its batch so that it cannot block every later event. */
export function recordUsageRefused(): void {
  metrics().usageRefusedEvents.inc();
}

/** For the usage writer: one batch attempt, with the priced events on success. */
export function recordUsageFlush(outcome: "ok" | "failed", ms: number, written: readonly { servedModel: string | null; requestedModel: string; costUsd: number }[] = []): void {
  const m = metrics();
  m.usageFlush.observe({ outcome }, ms / 1000);
  if (outcome !== "ok") return;
  m.usageFlushedEvents.inc(written.length);
  for (const e of written) {
    if (e.costUsd > 0) m.cost.inc({ model: bounded("model", e.servedModel ?? e.requestedModel) }, e.costUsd);
  }
}
