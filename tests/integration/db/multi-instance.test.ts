// Two `next start` processes on one database, the way N instances run behind a
// load balancer. What one instance changes, the other must honour: revoked
// keys, moved prompt labels, quota counters and account health.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { createAccount } from "@/lib/accounts";
import { createApiKey } from "@/lib/auth/api-keys";
import { closeDb } from "@/lib/db";
import { createPrompt, createPromptVersion } from "@/lib/prompts";
import { countChatTokens } from "@/lib/providers";
import { createPolicy } from "@/lib/quota";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { startApp, type AppServer } from "../../support/app-server";

const system = { kind: "system", name: "test" } as const;
const run = Date.now().toString(36);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Exact quota cost (see tests/integration/quota/concurrency.test.ts): the fake
// upstream reports promptTokens = the gateway's own prompt estimate and
// completionTokens = max_tokens, so every admitted call costs exactly COST.
const QUOTA_MODEL = `mi-quota-${run}`;
const quotaMessages = [{ role: "user" as const, content: "Count to three." }];
const COST = countChatTokens(QUOTA_MODEL, quotaMessages) + 5;
const FAILURES = 3;

describe("two instances on one database", () => {
  let a: AppServer;
  let b: AppServer;
  let fake: FakeUpstream; // healthy: prompts and quotas
  let faulty: FakeUpstream; // account whose circuit is opened on one instance
  let adminKey: string;
  let sql: pg.Pool;
  let faultyAccountId: string;

  const admin = async (app: AppServer, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${app.url}${path}`, {
      method, headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const chat = (app: AppServer, key: string, body: Record<string, unknown>) =>
    fetch(`${app.url}/api/v1/chat/completions`, {
      method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body),
    });

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL });
    [fake, faulty] = await Promise.all([
      startFakeUpstream({ defaultBehaviour: { content: "ok", promptTokens: COST - 5, completionTokens: 5, chunkDelayMs: 1 } }),
      startFakeUpstream({ defaultBehaviour: { status: 500 } }),
    ]);
    await createAccount(system, { name: `mi-fake-${run}`, provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-mi-upstream-000001", models: [`mi-prompt-${run}`, QUOTA_MODEL] });
    faultyAccountId = (await createAccount(system, {
      name: `mi-faulty-${run}`, provider: "openai", baseUrl: faulty.openaiBaseUrl, apiKey: "sk-mi-upstream-000002", models: [`mi-broken-${run}`], firstByteTimeoutMs: 2000,
    })).id;
    adminKey = (await createApiKey(system, { name: "ops-multi-admin", scopes: ["admin", "completions"] })).key;
    const env = {
      // A long key cache: only LISTEN/NOTIFY can make the other instance notice a revocation within a second.
      API_KEY_CACHE_TTL_MS: "600000",
      GATEWAY_RETRY_BASE_MS: "5",
      ACCOUNT_CIRCUIT_FAILURES: String(FAILURES),
      ACCOUNT_CIRCUIT_COOLDOWN_MS: "600000",
      ACCOUNT_SNAPSHOT_MS: "300",
    };
    // One after the other: each checks (and may run) the build, and two builds must not race.
    a = await startApp(env);
    b = await startApp(env);
  }, 900_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await Promise.all([fake?.close(), faulty?.close()]);
    await sql?.end();
    await closeDb();
  });

  const models = (app: AppServer, key: string) => fetch(`${app.url}/api/v1/models`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);

  /** Polls `probe` until it returns true; the milliseconds it took, or Infinity after `limitMs`. */
  async function until(probe: () => Promise<boolean>, limitMs = 3000): Promise<number> {
    const t0 = performance.now();
    for (;;) {
      if (await probe()) return performance.now() - t0;
      if (performance.now() - t0 > limitMs) return Infinity;
      await sleep(10);
    }
  }

  it("stops a key revoked on one instance on both within 1 s, despite the other's cache", async () => {
    const { key, row } = await createApiKey(system, { name: "ops-multi-revoke", scopes: ["completions"] });
    // Both instances have verified (and cached) the key.
    expect(await models(a, key)).toBe(200);
    expect(await models(b, key)).toBe(200);

    const del = await admin(a, "DELETE", `/api/admin/keys/${row.id}`);
    expect(del.status).toBe(200);
    const t0 = performance.now();
    expect(await models(a, key)).toBe(401);
    const waited = await until(async () => (await models(b, key)) === 401);
    const elapsed = performance.now() - t0;
    expect(waited).not.toBe(Infinity);
    expect(elapsed).toBeLessThan(1000);
    process.stdout.write(`revocation reached the second instance in ${elapsed.toFixed(0)} ms\n`);
  });

  it("serves a prompt label moved through one instance from the other within 1 s", async () => {
    const name = `mi-prompt-${run}`;
    const content = (text: string) => ({ messages: [{ role: "user", content: text }], config: { model: `mi-prompt-${run}` } });
    await createPrompt(system, { name, ...content("v1"), labels: ["production"] });
    await createPromptVersion(system, name, { ...content("v2"), commitMessage: "v2" });
    const served = async (app: AppServer) => {
      const r = await admin(app, "POST", "/api/completion", { prompt: name });
      if (r.status !== 200) throw new Error(`completion failed: ${r.status} ${JSON.stringify(r.json)}`);
      return r.json.version as number;
    };
    // Both instances have resolved (and cached) version 1.
    expect(await served(a)).toBe(1);
    expect(await served(b)).toBe(1);

    const moved = await admin(a, "PUT", `/api/admin/prompts/${name}/labels/production`, { version: 2 });
    expect(moved.status).toBe(200);
    const t0 = performance.now();
    expect(await served(a)).toBe(2);
    const waited = await until(async () => (await served(b)) === 2);
    const elapsed = performance.now() - t0;
    expect(waited).not.toBe(Infinity);
    expect(elapsed).toBeLessThan(1000);
    process.stdout.write(`label move reached the second instance in ${elapsed.toFixed(0)} ms\n`);
  });

  it("admits exactly K calls of a tokens-per-day quota when 3K race across both instances", async () => {
    const K = 20;
    // Away from the daily reset, so the window cannot roll over mid-test.
    const left = 86_400_000 - (Date.now() % 86_400_000);
    if (left < 120_000) await sleep(left + 50);
    // Warm both instances' gateway path (with another key), so the race is between two ready instances.
    for (const app of [a, b]) for (const stream of [false, true]) {
      const r = await chat(app, adminKey, { model: QUOTA_MODEL, messages: quotaMessages, max_tokens: 5, stream });
      expect(r.status).toBe(200);
      await r.text();
    }
    const { key, row } = await createApiKey(system, { name: `mi-quota-${run}`, scopes: ["completions"] });
    // Room for K calls and most of another: the (K+1)th must not fit.
    const limit = COST * K + Math.floor(COST / 2);
    const policy = await createPolicy(system, { name: `mi-quota-${run}`, scope: "key", apiKeyId: row.id, tokensPerDay: limit });
    const outcomes = await Promise.all(Array.from({ length: 3 * K }, async (_, i) => {
      const res = await chat(i % 2 ? a : b, key, { model: QUOTA_MODEL, messages: quotaMessages, max_tokens: 5, stream: i % 3 === 0 });
      const text = await res.text();
      return { instance: i % 2 ? "a" : "b", status: res.status, code: res.status === 200 ? null : (JSON.parse(text).error?.code as string) };
    }));
    const admitted = outcomes.filter((o) => o.status === 200).length;
    expect(admitted).toBe(K);
    for (const o of outcomes.filter((x) => x.status !== 200)) expect(o).toMatchObject({ status: 429, code: "insufficient_quota" });
    // Which instance wins the race varies (a warm one may admit all K); the total is what must hold.
    const on = (inst: string) => outcomes.filter((o) => o.instance === inst && o.status === 200).length;
    process.stdout.write(`quota across two instances: admitted ${on("a")} on A + ${on("b")} on B = ${admitted} of ${3 * K}\n`);
    // Settled: both instances' usage is in the one counter, exactly.
    let row2: { used: number; reserved: number } | undefined;
    const waited = await until(async () => {
      const { rows } = await sql.query(`SELECT "usedTokens"::int AS used, "reservedTokens"::int AS reserved FROM "QuotaCounter" WHERE "policyId" = $1`, [policy.id]);
      row2 = rows.reduce((s, r) => ({ used: s.used + r.used, reserved: s.reserved + r.reserved }), { used: 0, reserved: 0 });
      return row2!.reserved === 0 && row2!.used === K * COST;
    }, 5000);
    expect(row2).toEqual({ used: K * COST, reserved: 0 });
    expect(waited).not.toBe(Infinity);
  }, 120_000);

  it("shows a circuit opened on one instance in the account health of the other, with both instances", async () => {
    const model = `mi-broken-${run}`;
    const call = (app: AppServer) => chat(app, adminKey, { model, messages: [{ role: "user", content: "hi" }] }).then((r) => r.status);
    for (let i = 0; i < FAILURES + 1; i++) expect(await call(a)).toBeGreaterThanOrEqual(500);
    // One failure on B: below its threshold, so B's own circuit stays closed, but B now has a view of the account.
    expect(await call(b)).toBeGreaterThanOrEqual(500);
    type Instance = { instanceId: string; status: string; current: boolean };
    type Health = { instances: unknown[]; accounts: { id: string; status: string; instances: Instance[]; circuits: { model: string; state: string }[] }[] };
    let seen: Health | undefined;
    // The periodic snapshot writer (every 300 ms here) publishes A's circuit; B reads the cluster's snapshots.
    const waited = await until(async () => {
      const h = await admin(b, "GET", "/api/admin/accounts/health");
      seen = h.json as Health;
      const acc = seen.accounts?.find((x) => x.id === faultyAccountId);
      return h.status === 200 && acc?.status === "circuit_open" && acc.instances.length === 2;
    }, 10_000);
    if (waited === Infinity) console.error(JSON.stringify(seen?.accounts.find((x) => x.id === faultyAccountId)), a.output().slice(-2000));
    expect(waited).not.toBe(Infinity);
    expect(seen!.instances.length).toBeGreaterThanOrEqual(2);
    const acc = seen!.accounts.find((x) => x.id === faultyAccountId)!;
    expect(acc.circuits.find((c) => c.model === model)?.state).toBe("open");
    // Asked on B: A's snapshot (not current) has the open circuit; B's own entry is the current one.
    expect(acc.instances.filter((i) => i.current)).toHaveLength(1);
    expect(acc.instances.find((i) => !i.current)?.status).toBe("circuit_open");
    expect(acc.instances.find((i) => i.current)?.status).not.toBe("circuit_open");
    process.stdout.write(`circuit opened on one instance visible on the other after ${waited.toFixed(0)} ms of polling\n`);
  }, 60_000);
});
