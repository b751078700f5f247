import "server-only";
export { logger, createLogger, redactPaths, type Logger } from "./logger";
export { readiness, type Readiness } from "./health";
export { trackStream, trackCall, isDraining, activeStreams, activeCalls, onShutdown, installShutdown, abortInFlight } from "./lifecycle";
export {
  metrics, recordHttpRequest, recordGatewayCall, recordUpstreamError, recordQuotaRejection, setCircuitState, recordUsageFlush, recordUsageRefused,
  CIRCUIT_STATES, LATENCY_BUCKETS, type CircuitState, type GatewayOutcome,
} from "./metrics";
export {
  startSpan, startGatewayTrace, withRequestTrace, traceparentOf, setTracerProvider, registerTracingFromEnv, flushSpans,
  shutdownTracing, tracingEnabled, GatewayTrace,
  type Span, type Attributes, type SdkTracerProvider, type TraceOutcome,
} from "./tracing";
export { sloStatus, sloTargets, sloReport, SLO_DEFAULTS, SLO_WINDOW_DAYS, type SloStatus, type SloTargets, type Objective } from "./slo";
export { metricsAccess, scrapeMetrics, decideMetricsAccess, isLoopback, type MetricsAccess, type MetricsAccessInput, type ScrapedGauges } from "./scrape";
