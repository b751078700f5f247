// Next calls register() once per server process before it serves requests.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { installShutdown, onShutdown } = await import("@/lib/observability/lifecycle");
  const { flushUsage } = await import("@/lib/usage");
  const { closeUpstreamPools, warmTokenizer } = await import("@/lib/providers");
  const { closeDb } = await import("@/lib/db");
  installShutdown();
  // Building the tokenizer's tables blocks for ~0.7 s; pay that before serving, not on a request.
  warmTokenizer();
  // Usage first: it needs the database, which closes last.
  onShutdown("usage", () => flushUsage(10_000), 10);
  onShutdown("upstream-pools", () => closeUpstreamPools(), 20);
  onShutdown("database", () => closeDb(), 90);
}
