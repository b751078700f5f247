// Next calls register() once per server process before it serves requests.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  // The whole environment first: a bad value (SHUTDOWN_DEADLINE_MS=30s) stops the
  // server before it serves, with one message naming every problem (lib/config).
  const { configOrExit } = await import("@/lib/config");
  configOrExit();
  // First, so that every request carries its TCP peer address (/api/metrics serves loopback only without a token).
  const { installPeerAddress } = await import("@/lib/observability/peer");
  installPeerAddress();
  const { installShutdown, onShutdown } = await import("@/lib/observability/lifecycle");
  const { flushUsage } = await import("@/lib/usage");
  const { closeUpstreamPools, warmTokenizer } = await import("@/lib/providers");
  const { closeDb } = await import("@/lib/db");
  installShutdown();
  // What follows every call, in order (lib/gateway/settle.ts): the usage writer runs these steps in each batch's transaction.
  const { registerSettlementSteps } = await import("@/lib/gateway");
  registerSettlementSteps();
  // Building the tokenizer's tables blocks for ~0.7 s; pay that before serving, not on a request.
  warmTokenizer();
  // Usage first: it needs the database, which closes last.
  onShutdown("usage", () => flushUsage(10_000), 10);
  // Quota reservations travel on the usage events and are settled in the same
  // transaction as their batch, so the usage flush above also releases them.
  // By now every call has finished or was settled as ended by the shutdown, so
  // an upstream request still open has nobody waiting for it: destroy, do not wait.
  onShutdown("upstream-pools", () => closeUpstreamPools({ force: true }), 20);
  // Traces only when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT or _TRACES_ENDPOINT):
  // an OpenTelemetry NodeTracerProvider with a batch OTLP/HTTP exporter; otherwise the API's no-op tracer.
  const { registerTracingFromEnv, shutdownTracing } = await import("@/lib/observability/tracing");
  if (await registerTracingFromEnv()) onShutdown("traces", () => shutdownTracing(), 30);
  onShutdown("database", () => closeDb(), 90);
  // Account health: snapshot writer, active probes, seeding from the cluster (lib/accounts/health/snapshots.ts).
  const { sealLegacyHeaderValues, startAccountHealth } = await import("@/lib/accounts");
  // Account header values saved as plain text before they were encrypted (security #13.4).
  await sealLegacyHeaderValues().catch(async (err: unknown) => (await import("@/lib/observability")).logger.warn({ err }, "could not encrypt legacy account header values"));
  await startAccountHealth();
  // Webhooks and email from the outbox (lib/webhooks): every instance may deliver; claims take turns (SKIP LOCKED).
  const { startWebhookWorker } = await import("@/lib/webhooks");
  startWebhookWorker();
  // Evaluation runs (lib/evals): every instance may work them; each run has one instance at a time (a lease).
  // Label moves ask the evaluation gates (lib/evals/gate.ts) whether or not this instance works runs.
  const { installEvaluationGate, startEvalRunner } = await import("@/lib/evals");
  installEvaluationGate();
  startEvalRunner();
}
