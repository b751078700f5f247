import "server-only";
import { db } from "@/lib/db";
import { recordAudit } from "@/lib/audit";
import { notFound } from "@/lib/core";
import type { Principal } from "@/lib/core";
import { adapterFor, isAbortError, isProviderError, type UpstreamAccount } from "@/lib/providers";
import { decryptSecret } from "@/lib/secrets";
import { headerValues, openSettings } from "./header-secrets";

// "Test connection": one real, cheapest-possible call (a single completion
// token) through the same adapter the gateway uses, so a pass means the URL,
// the key and the model name all work. The result never carries the secret,
// and neither does its audit entry.

export type ConnectionTestResult = {
  ok: boolean;
  latencyMs: number;
  /** The upstream model the call used; null when there was none to try. */
  model: string | null;
  /** The upstream's HTTP status on failure (or a gateway-side 504 on a timeout). */
  status?: number;
  message: string;
};

const TEST_TIMEOUT_MS = 10_000;
const SIMULATOR_MODEL = "simulator";

type AccountRow = { provider: UpstreamAccount["provider"]; models: string[]; aliases: unknown; settings: unknown };

/** settings.testModel when set, else the first exact model name, else an alias target; any name for the simulator. */
export function testModelFor(a: AccountRow): string | null {
  const settings = (a.settings ?? {}) as Record<string, unknown>;
  if (typeof settings.testModel === "string" && settings.testModel.trim()) return settings.testModel.trim();
  const exact = a.models.find((m) => !m.includes("*"));
  if (exact) return exact;
  const aliasTarget = Object.values((a.aliases ?? {}) as Record<string, string>).find((m) => typeof m === "string" && !m.includes("*"));
  if (aliasTarget) return aliasTarget;
  return a.provider === "simulator" ? SIMULATOR_MODEL : null;
}

function redact(text: string, secrets: (string | null)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join("[redacted]");
  return out;
}

/** What test connection and "probe now" say about an account whose key a re-point cleared (store.ts). */
export const KEY_CLEARED =
  "The stored key was cleared when the base URL or provider changed: enter the key again (or save with no key if the upstream needs none)";

async function attempt(account: UpstreamAccount, model: string): Promise<Omit<ConnectionTestResult, "model">> {
  const secrets = [account.apiKey, ...headerValues(account.settings)];
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    await adapterFor(account.provider).complete(
      { model, messages: [{ role: "user", content: "ping" }], max_tokens: 1, stream: false },
      { account, upstreamModel: model, signal: AbortSignal.timeout(TEST_TIMEOUT_MS) },
    );
    const latencyMs = elapsed();
    return { ok: true, latencyMs, message: `Connected: ${model} answered in ${latencyMs} ms` };
  } catch (e) {
    const latencyMs = elapsed();
    if (isProviderError(e)) {
      return { ok: false, latencyMs, status: e.status, message: redact(e.message, secrets) };
    }
    if (isAbortError(e)) {
      return { ok: false, latencyMs, status: 504, message: `No answer within ${TEST_TIMEOUT_MS / 1000} s` };
    }
    return { ok: false, latencyMs, message: redact(e instanceof Error ? e.message : String(e), secrets) };
  }
}

export async function testConnection(actor: Principal, id: string, ip?: string | null): Promise<ConnectionTestResult> {
  const row = await db.providerAccount.findUnique({ where: { id } });
  if (!row) throw notFound("Account");

  let result: ConnectionTestResult;
  const model = testModelFor(row);
  let apiKey: string | null = null;
  let settings: Record<string, unknown> = {};
  let keyError: string | null = row.secretCleared ? KEY_CLEARED : null;
  if (!keyError) {
    try {
      apiKey = row.secretCiphertext ? decryptSecret(row.secretCiphertext) : null;
      settings = openSettings(row.settings);
    } catch {
      keyError = "The stored API key or a header value cannot be decrypted (was ENCRYPTION_KEY changed?); set it again";
    }
  }

  if (keyError) {
    result = { ok: false, latencyMs: 0, model, message: keyError };
  } else if (!model) {
    result = {
      ok: false, latencyMs: 0, model: null,
      message: "No model to test with: list an exact model name (not only globs), or set settings.testModel",
    };
  } else {
    const account: UpstreamAccount = {
      id: row.id, name: row.name, provider: row.provider, baseUrl: row.baseUrl, apiKey, settings,
      // The test's own bound wins over generous production timeouts.
      timeouts: { firstByteMs: Math.min(row.firstByteTimeoutMs, TEST_TIMEOUT_MS), idleMs: Math.min(row.idleTimeoutMs, TEST_TIMEOUT_MS) },
    };
    result = { model, ...(await attempt(account, model)) };
  }

  await recordAudit(actor, { action: "account.test", targetType: "account", targetId: row.id, after: { name: row.name, ...result }, ip });
  return result;
}
