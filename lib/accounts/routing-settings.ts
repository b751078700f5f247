import "server-only";
import { wildcardMatch } from "@/lib/core";
import { config } from "@/lib/config";
import { db, onInvalidate, publishInvalidation, type Prisma } from "@/lib/db";
import { withAudit } from "@/lib/audit";
import { logger } from "@/lib/observability";
import type { Principal } from "@/lib/core";
import {
  circuitSettings, routingSettings, routingStrategy, updateRoutingSettingsInput,
  type CircuitSettings, type RoutingSettings, type RoutingStrategy,
} from "./schemas";

// The routing strategy (global, with per-model overrides) and the circuit
// thresholds. Stored in the Setting row "accounts.routing"; environment
// variables give the defaults. Served from memory: a change publishes
// "account-routing" and every instance reloads; a reload every REFRESH_MS is
// the backstop. A failed load keeps the previous settings; a LISTEN reconnect
// ("*") reloads in the background, so no call waits on it.

const KEY = "accounts.routing";
const REFRESH_MS = 30_000;

export function defaultRoutingSettings(): RoutingSettings {
  const c = config();
  return {
    strategy: c.ACCOUNT_STRATEGY,
    modelStrategies: {},
    circuit: {
      consecutiveFailures: c.ACCOUNT_CIRCUIT_FAILURES,
      errorRate: c.ACCOUNT_CIRCUIT_ERROR_RATE,
      windowMs: c.ACCOUNT_CIRCUIT_WINDOW_MS,
      minRequests: c.ACCOUNT_CIRCUIT_MIN_REQUESTS,
      cooldownMs: c.ACCOUNT_CIRCUIT_COOLDOWN_MS,
      maxCooldownMs: c.ACCOUNT_CIRCUIT_MAX_COOLDOWN_MS,
      rateLimitCooldownMs: c.ACCOUNT_RATE_LIMIT_COOLDOWN_MS,
    },
  };
}

/** Stored values over the defaults; anything invalid in the row falls back field by field. */
function merge(stored: unknown): RoutingSettings {
  const base = defaultRoutingSettings();
  const s = (stored ?? {}) as Record<string, unknown>;
  const strategy = routingStrategy.safeParse(s.strategy);
  const models = routingSettings.shape.modelStrategies.safeParse(s.modelStrategies);
  const circuit: Record<string, unknown> = { ...base.circuit };
  for (const [k, v] of Object.entries((s.circuit ?? {}) as Record<string, unknown>)) {
    const field = circuitSettings.shape[k as keyof CircuitSettings];
    if (field && field.safeParse(v).success) circuit[k] = v;
  }
  return {
    strategy: strategy.success ? strategy.data : base.strategy,
    modelStrategies: models.success ? models.data : {},
    circuit: circuit as CircuitSettings,
  };
}

// `settings` starts unset: the defaults come from the environment, which is read on first use, never at import.
type State = { settings?: RoutingSettings; loadedAt: number; loading?: Promise<void>; byModel: Map<string, RoutingStrategy>; subscribed: boolean; version: number };
const g = globalThis as typeof globalThis & { __pgRouting?: State };
const state: State = (g.__pgRouting ??= { loadedAt: 0, byModel: new Map(), subscribed: false, version: 0 });

async function load(): Promise<void> {
  const version = state.version;
  try {
    const row = await db.setting.findUnique({ where: { key: KEY } });
    if (version !== state.version) return;
    state.settings = merge(row?.value);
    state.byModel.clear();
    state.loadedAt = Date.now();
  } catch (err) {
    logger.warn({ err }, "could not load account routing settings; keeping the previous ones");
    state.loadedAt = Date.now();
  }
}

function reload(): Promise<void> {
  state.loading ??= load().finally(() => {
    state.loading = undefined;
  });
  return state.loading;
}

/** Awaits only the first load; afterwards serves memory and refreshes in the background. */
export async function loadRoutingSettings(): Promise<RoutingSettings> {
  if (!state.subscribed) {
    state.subscribed = true;
    onInvalidate("account-routing", (payload) => {
      state.version++;
      // A change: the next call waits for it. A reconnect: reload behind the calls, serving what we have.
      if (payload !== "*") state.loadedAt = 0;
      else if (state.loadedAt !== 0) void reload();
    });
  }
  if (state.loadedAt === 0) await reload();
  else if (Date.now() - state.loadedAt > REFRESH_MS) void reload();
  return routing();
}

/** The settings in memory now (defaults before the first load). Synchronous, for the hot path. */
export function routing(): RoutingSettings {
  return (state.settings ??= defaultRoutingSettings());
}

export function circuitConfig(): CircuitSettings {
  return routing().circuit;
}

/** The strategy for a public model name: the most specific matching override, else the global one. */
export function strategyFor(model: string): RoutingStrategy {
  const hit = state.byModel.get(model);
  if (hit) return hit;
  const settings = routing();
  let best: RoutingStrategy = settings.strategy;
  let bestLen = -1;
  for (const [pattern, s] of Object.entries(settings.modelStrategies)) {
    if (!wildcardMatch(pattern, model)) continue;
    const len = pattern === model ? Number.MAX_SAFE_INTEGER : pattern.replace(/\*/g, "").length;
    if (len > bestLen) {
      best = s;
      bestLen = len;
    }
  }
  if (state.byModel.size > 10_000) state.byModel.clear();
  state.byModel.set(model, best);
  return best;
}

export async function getRoutingSettings(): Promise<RoutingSettings> {
  const row = await db.setting.findUnique({ where: { key: KEY } });
  return merge(row?.value);
}

export async function updateRoutingSettings(actor: Principal, input: unknown, ip?: string | null): Promise<RoutingSettings> {
  const patch = updateRoutingSettingsInput.parse(input);
  const after = await withAudit(actor, { action: "account.routing.update", targetType: "setting", ip }, async (tx) => {
    const row = await tx.setting.findUnique({ where: { key: KEY } });
    const before = merge(row?.value);
    const next: RoutingSettings = {
      strategy: patch.strategy ?? before.strategy,
      modelStrategies: patch.modelStrategies ?? before.modelStrategies,
      circuit: { ...before.circuit, ...patch.circuit },
    };
    const value = next as unknown as Prisma.InputJsonValue;
    await tx.setting.upsert({ where: { key: KEY }, create: { key: KEY, value }, update: { value } });
    return { result: next, targetId: KEY, before, after: next };
  });
  state.version++;
  state.settings = after;
  state.byModel.clear();
  state.loadedAt = Date.now();
  publishInvalidation("account-routing").catch((err: unknown) => logger.warn({ err }, "could not publish routing change"));
  return after;
}
