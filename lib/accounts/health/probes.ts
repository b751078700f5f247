import "server-only";
import { db, type ProviderAccount } from "@/lib/db";
import { recordAudit } from "@/lib/audit";
import { notFound } from "@/lib/core";
import { logger } from "@/lib/observability";
import { adapterFor, isAbortError, isProviderError, upstreamStatus, type UpstreamAccount } from "@/lib/providers";
import type { Principal } from "@/lib/core";
import { recordProbe } from "./outcomes";
import { runtime } from "./state";
import { routableAccounts } from "../registry";
import { decryptSecret } from "@/lib/secrets";
import { KEY_CLEARED, testModelFor } from "../test-connection";
import { openSettings } from "../header-secrets";

// Active probes: a cheap call on a schedule per account (list models, or a
// 1-token completion), independent of traffic. A failed probe opens the
// account-wide circuit (no traffic until it passes or the cooldown's real
// probe request succeeds); a passing one closes it. Probes never count as
// traffic in the health windows.

const PROBE_TIMEOUT_MS = 10_000;
const MAX_CONCURRENT = 4;

export type ProbeMode = "models" | "completion";
export type ProbeResult = { ok: boolean; latencyMs: number; mode: ProbeMode; message: string };

type Probeable = UpstreamAccount & { models: string[]; aliases: Record<string, string>; probeModel: string | null };

function redact(text: string, secret: string | null): string {
  return secret && secret.length >= 4 ? text.split(secret).join("[redacted]") : text;
}

async function listModels(a: Probeable, signal: AbortSignal): Promise<string> {
  if (a.provider === "simulator") return "the simulator is always reachable";
  const headers: Record<string, string> = {};
  let url: string;
  if (a.provider === "anthropic") {
    url = `${(a.baseUrl ?? "https://api.anthropic.com").replace(/\/+$/, "")}/v1/models`;
    if (a.apiKey) headers["x-api-key"] = a.apiKey;
    headers["anthropic-version"] = typeof a.settings.anthropicVersion === "string" ? a.settings.anthropicVersion : "2023-06-01";
  } else {
    url = `${(a.baseUrl ?? "https://api.openai.com/v1").replace(/\/+$/, "")}/models`;
    if (a.apiKey) headers[a.provider === "azure" ? "api-key" : "authorization"] = a.provider === "azure" ? a.apiKey : `Bearer ${a.apiKey}`;
  }
  // Through the gateway's own upstream pools, so the connect-time address check applies here too.
  const status = await upstreamStatus(new URL(url), headers, signal);
  if (status < 200 || status > 299) throw new Error(`GET ${new URL(url).pathname} answered HTTP ${status}`);
  return `models listed (HTTP ${status})`;
}

export async function probeAccount(a: Probeable, mode: ProbeMode): Promise<ProbeResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const signal = AbortSignal.timeout(Math.min(PROBE_TIMEOUT_MS, Math.max(a.timeouts.firstByteMs, 1000)));
  try {
    if (mode === "models" && a.provider !== "azure") {
      const message = await listModels(a, signal);
      return { ok: true, latencyMs: elapsed(), mode, message };
    }
    const model = a.probeModel ?? testModelFor({ provider: a.provider, models: a.models, aliases: a.aliases, settings: a.settings });
    if (!model) return { ok: false, latencyMs: 0, mode: "completion", message: "no model to probe with: set a probe model" };
    await adapterFor(a.provider).complete(
      { model, messages: [{ role: "user", content: "ping" }], max_tokens: 1, stream: false },
      { account: a, upstreamModel: model, signal },
    );
    return { ok: true, latencyMs: elapsed(), mode: "completion", message: `${model} answered` };
  } catch (e) {
    const latencyMs = elapsed();
    if (isProviderError(e)) return { ok: false, latencyMs, mode, message: redact(`HTTP ${e.status}: ${e.message}`, a.apiKey) };
    if (isAbortError(e) || (e instanceof Error && e.name === "TimeoutError")) return { ok: false, latencyMs, mode, message: `no answer within ${PROBE_TIMEOUT_MS / 1000} s` };
    return { ok: false, latencyMs, mode, message: redact(e instanceof Error ? e.message : String(e), a.apiKey) };
  }
}

type SchedulerState = { running: Set<string>; lastRun: Map<string, number> };
const g = globalThis as typeof globalThis & { __pgProbes?: SchedulerState };
const sched: SchedulerState = (g.__pgProbes ??= { running: new Set(), lastRun: new Map() });

/** One scheduler tick: starts the probes that are due (at most MAX_CONCURRENT at a time). */
export async function probeTick(now = Date.now()): Promise<void> {
  const accounts = await routableAccounts();
  for (const a of accounts) {
    if (a.probeMode === "off" || sched.running.has(a.id)) continue;
    const last = sched.lastRun.get(a.id) ?? runtime(a.id).probe.at;
    if (now - last < a.probeIntervalSec * 1000) continue;
    if (sched.running.size >= MAX_CONCURRENT) return;
    sched.running.add(a.id);
    sched.lastRun.set(a.id, now);
    void probeAccount(a, a.probeMode)
      .then((r) => recordProbe(a.id, r.ok, r.message))
      .catch((err: unknown) => logger.warn({ err, accountId: a.id }, "account probe crashed"))
      .finally(() => sched.running.delete(a.id));
  }
}

async function probeStored(row: ProviderAccount): Promise<ProbeResult> {
  let account: Probeable;
  try {
    account = {
      id: row.id, name: row.name, provider: row.provider, baseUrl: row.baseUrl,
      apiKey: row.secretCiphertext ? decryptSecret(row.secretCiphertext) : null,
      settings: openSettings(row.settings),
      timeouts: { firstByteMs: row.firstByteTimeoutMs, idleMs: row.idleTimeoutMs },
      models: row.models, aliases: (row.aliases ?? {}) as Record<string, string>, probeModel: row.probeModel,
    };
  } catch {
    return { ok: false, latencyMs: 0, mode: "completion", message: "the stored API key or a header value cannot be decrypted (was ENCRYPTION_KEY changed?)" };
  }
  return probeAccount(account, row.probeMode === "models" ? "models" : "completion");
}

/** Admin "probe now": runs at once (disabled accounts too), records the result and audits it. */
export async function probeNow(actor: Principal, id: string, ip?: string | null): Promise<ProbeResult> {
  const row = await db.providerAccount.findUnique({ where: { id } });
  if (!row) throw notFound("Account");
  const result = row.secretCleared ? { ok: false, latencyMs: 0, mode: "completion" as const, message: KEY_CLEARED } : await probeStored(row);
  recordProbe(row.id, result.ok, result.message);
  sched.lastRun.set(row.id, Date.now());
  await recordAudit(actor, { action: "account.probe", targetType: "account", targetId: row.id, after: { name: row.name, ...result }, ip });
  return result;
}
