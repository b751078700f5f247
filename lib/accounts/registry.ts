import "server-only";
import { config } from "@/lib/config";
import { db, onInvalidate, publishInvalidation } from "@/lib/db";
import { logger } from "@/lib/observability";
import type { UpstreamAccount } from "@/lib/providers";
import { decryptSecret } from "@/lib/secrets";
import { aliasGlobs, type AliasGlob } from "./aliases";
import { openSettings } from "./header-secrets";

// The hot path's view of the enabled accounts, kept in memory so routing costs
// no database round trip. A change anywhere is published over LISTEN/NOTIFY and
// drops every instance's snapshot at once; as a backstop the snapshot is also
// reloaded in the background every REFRESH_MS (serving the old one meanwhile).
// A failed reload (the database is down) keeps serving the snapshot, trusted
// for another REFRESH_MS, and a LISTEN reconnect ("*") reloads it in the
// background rather than dropping it: routing never waits on a database that
// is not there (faults #14.3).

export type ModelOverride = { weight?: number; priority?: number };

export type RoutableAccount = UpstreamAccount & {
  models: string[];
  aliases: Record<string, string>;
  /** The glob aliases, most specific first (aliases.ts). */
  aliasGlobs: readonly AliasGlob[];
  weight: number;
  priority: number;
  /** Health fields (lib/accounts/health/): a draining account gets no new calls. */
  draining: boolean;
  rpmLimit: number | null;
  tpmLimit: number | null;
  probeMode: "off" | "models" | "completion";
  probeIntervalSec: number;
  probeModel: string | null;
  /** [pattern, override] pairs, most specific pattern first. */
  modelOverrides: [string, ModelOverride][];
};

function overridesOf(v: unknown): [string, ModelOverride][] {
  const entries = Object.entries((v ?? {}) as Record<string, ModelOverride>);
  const rank = (p: string) => (p.includes("*") ? p.replace(/\*/g, "").length : Number.MAX_SAFE_INTEGER);
  return entries.sort((a, b) => rank(b[0]) - rank(a[0]));
}

const REFRESH_MS = () => config().ACCOUNT_REFRESH_MS;

type Snapshot = { at: number; accounts: RoutableAccount[] };
const g = globalThis as typeof globalThis & { __pgRegistry?: { snap?: Snapshot; loading?: Promise<Snapshot>; version: number } };
const state = (g.__pgRegistry ??= { version: 0 });
let subscribed = false;

async function load(): Promise<Snapshot> {
  const version = state.version;
  // An account whose key was cleared by a re-point waits for a new one (store.ts).
  const rows = await db.providerAccount.findMany({ where: { enabled: true, secretCleared: false }, orderBy: [{ priority: "asc" }, { name: "asc" }] });
  const accounts: RoutableAccount[] = [];
  for (const r of rows) {
    let apiKey: string | null = null;
    let settings: Record<string, unknown>;
    try {
      apiKey = r.secretCiphertext ? decryptSecret(r.secretCiphertext) : null;
      settings = openSettings(r.settings);
    } catch {
      logger.error({ accountId: r.id }, "cannot decrypt the account's key or header values (wrong ENCRYPTION_KEY?); skipping the account");
      continue;
    }
    const aliases = (r.aliases ?? {}) as Record<string, string>;
    accounts.push({
      id: r.id, name: r.name, provider: r.provider, baseUrl: r.baseUrl, apiKey,
      settings,
      timeouts: { firstByteMs: r.firstByteTimeoutMs, idleMs: r.idleTimeoutMs },
      models: r.models, aliases, aliasGlobs: aliasGlobs(aliases), weight: r.weight, priority: r.priority,
      draining: r.draining, rpmLimit: r.rpmLimit, tpmLimit: r.tpmLimit, probeMode: r.probeMode,
      probeIntervalSec: r.probeIntervalSec, probeModel: r.probeModel, modelOverrides: overridesOf(r.modelOverrides),
    });
  }
  const snap = { at: Date.now(), accounts };
  // A change made while we were loading invalidated this result: do not keep it.
  if (version === state.version) state.snap = snap;
  return snap;
}

function reload(): Promise<Snapshot> {
  state.loading ??= load().finally(() => {
    state.loading = undefined;
  });
  return state.loading;
}

export async function routableAccounts(): Promise<RoutableAccount[]> {
  if (!subscribed) {
    subscribed = true;
    onInvalidate("accounts", (payload) => {
      if (payload !== "*") return dropSnapshot();
      // Changes may have been missed while LISTEN was down: reload now, serving the snapshot meanwhile.
      state.version++;
      if (state.snap) state.snap.at = 0;
    });
  }
  const snap = state.snap;
  if (!snap) return (await reload()).accounts;
  if (Date.now() - snap.at > REFRESH_MS()) {
    reload().catch((err: unknown) => {
      if (state.snap === snap) snap.at = Date.now();
      logger.warn({ err }, "account refresh failed; serving the cached accounts");
    });
  }
  return snap.accounts;
}

function dropSnapshot(): void {
  state.version++;
  state.snap = undefined;
}

/** After a committed change: this instance forgets now, the others on the notification. */
export function invalidateRegistry(): void {
  dropSnapshot();
  publishInvalidation("accounts").catch((err: unknown) => logger.warn({ err }, "could not publish account change"));
}
