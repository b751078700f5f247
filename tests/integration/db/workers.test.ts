// Two workers behind one port (WEB_CONCURRENCY=2, node:cluster), the way `npm start` runs on a
// 2-core machine. Each worker is an instance with its own caches, so what one worker changes the
// other must honour: revoked keys, moved prompt labels, quota counters. A SIGTERM to the primary
// must drain every worker. Every request here opens its own connection (agent: false): the cluster
// hands connections to workers in turn, so consecutive requests land on both workers, whereas a
// kept-alive connection would stay with one.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "node:http";
import pg from "pg";
import { createAccount } from "@/lib/accounts";
import { createApiKey } from "@/lib/auth/api-keys";
import { closeDb } from "@/lib/db";
import { createPrompt, createPromptVersion } from "@/lib/prompts";
import { countChatTokens } from "@/lib/providers";
import { createPolicy } from "@/lib/quota";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { startApp, type AppServer } from "../../support/app-server";
import { eventually } from "../../support/eventually";

const system = { kind: "system", name: "test" } as const;
const run = Date.now().toString(36);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MODEL = `wk-${run}`;
const quotaMessages = [{ role: "user" as const, content: "Count to three." }];
// The fake upstream reports the gateway's own prompt estimate and 5 completion tokens, so every
// admitted call with max_tokens 5 costs exactly COST (as in tests/integration/db/multi-instance.test.ts).
const COST = countChatTokens(MODEL, quotaMessages) + 5;
// Enough consecutive requests that round-robin over two workers reaches both several times.
const SPREAD = 8;

type Reply = { status: number; body: string };

describe("two workers behind one port", () => {
  let app: AppServer;
  let fake: FakeUpstream;
  let adminKey: string;
  let sql: pg.Pool;

  /** One request on a connection of its own. */
  const send = (method: string, path: string, key: string, body?: unknown): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(`${app.url}${path}`, {
        method, agent: false,
        headers: { authorization: `Bearer ${key}`, ...(payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}) },
      }, (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (d: string) => (text += d)).on("end", () => resolve({ status: res.statusCode!, body: text })).on("error", reject);
      });
      req.on("error", reject);
      req.end(payload);
    });
  const statuses = async (n: number, fn: () => Promise<Reply>) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await fn()).status);
    return out;
  };

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL });
    fake = await startFakeUpstream({ defaultBehaviour: { content: "ok", promptTokens: COST - 5, completionTokens: 5, chunkDelayMs: 1 } });
    await createAccount(system, { name: `wk-fake-${run}`, provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-wk-upstream-000001", models: [`${MODEL}*`] });
    adminKey = (await createApiKey(system, { name: `wk-admin-${run}`, scopes: ["admin", "completions"] })).key;
    // A long key cache: only LISTEN/NOTIFY can make the other worker notice a revocation.
    app = await startApp({ WEB_CONCURRENCY: "2", API_KEY_CACHE_TTL_MS: "600000" });
    // Readiness answers as soon as one worker listens; wait for the second.
    await eventually(async () => new Set(app.output().match(/worker \d+ listening/g) ?? []).size === 2 || null, 60_000, "two workers listening");
  }, 900_000);

  afterAll(async () => {
    await app?.stop();
    await fake?.close();
    await sql?.end();
    await closeDb();
  });

  it("runs two worker processes behind the one port, both answering", async () => {
    const pids = new Set([...app.output().matchAll(/worker (\d+) listening/g)].map((m) => m[1]));
    expect(pids.size).toBe(2);
    expect(pids.has(String(app.pid))).toBe(false); // the primary only supervises
    expect(await statuses(SPREAD, () => send("GET", "/api/v1/models", adminKey))).toEqual(Array(SPREAD).fill(200));
  });

  it("stops a key revoked through one worker on both within 1 s, despite the other's cache", async () => {
    const { key, row } = await createApiKey(system, { name: `wk-revoke-${run}`, scopes: ["completions"] });
    // Both workers have verified (and cached) the key.
    expect(await statuses(SPREAD, () => send("GET", "/api/v1/models", key))).toEqual(Array(SPREAD).fill(200));
    expect((await send("DELETE", `/api/admin/keys/${row.id}`, adminKey)).status).toBe(200);
    const t0 = performance.now();
    await eventually(async () => (await statuses(SPREAD, () => send("GET", "/api/v1/models", key))).every((s) => s === 401) || null, 3000, "401 from every worker");
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeLessThan(1000);
    process.stdout.write(`revocation reached both workers in ${elapsed.toFixed(0)} ms\n`);
  });

  it("serves a prompt label moved through one worker from both within 1 s", async () => {
    const name = `wk-prompt-${run}`;
    const content = (text: string) => ({ messages: [{ role: "user", content: text }], config: { model: MODEL } });
    await createPrompt(system, { name, ...content("v1"), labels: ["production"] });
    await createPromptVersion(system, name, { ...content("v2"), commitMessage: "v2" });
    const served = async () => {
      const r = await send("POST", "/api/completion", adminKey, { prompt: name });
      if (r.status !== 200) throw new Error(`completion failed: ${r.status} ${r.body}`);
      return (JSON.parse(r.body) as { version: number }).version;
    };
    const spread = async () => { const v: number[] = []; for (let i = 0; i < SPREAD; i++) v.push(await served()); return v; };
    expect(await spread()).toEqual(Array(SPREAD).fill(1)); // both workers cached version 1
    expect((await send("PUT", `/api/admin/prompts/${name}/labels/production`, adminKey, { version: 2 })).status).toBe(200);
    const t0 = performance.now();
    await eventually(async () => (await spread()).every((v) => v === 2) || null, 3000, "version 2 from every worker");
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeLessThan(1000);
    process.stdout.write(`label move reached both workers in ${elapsed.toFixed(0)} ms\n`);
  });

  it("admits exactly K calls of a tokens-per-day quota when 3K race across both workers", async () => {
    const K = 20;
    const left = 86_400_000 - (Date.now() % 86_400_000);
    if (left < 120_000) await sleep(left + 50); // away from the daily reset
    const { key, row } = await createApiKey(system, { name: `wk-quota-${run}`, scopes: ["completions"] });
    const limit = COST * K + Math.floor(COST / 2); // room for K calls and most of another
    const policy = await createPolicy(system, { name: `wk-quota-${run}`, scope: "key", apiKeyId: row.id, tokensPerDay: limit });
    const outcomes = await Promise.all(Array.from({ length: 3 * K }, (_, i) =>
      send("POST", "/api/v1/chat/completions", key, { model: MODEL, messages: quotaMessages, max_tokens: 5, stream: i % 3 === 0 })));
    expect(outcomes.filter((o) => o.status === 200)).toHaveLength(K);
    for (const o of outcomes.filter((x) => x.status !== 200)) {
      expect(o.status).toBe(429);
      expect(JSON.parse(o.body).error.code).toBe("insufficient_quota");
    }
    const counter = await eventually(async () => {
      const { rows } = await sql.query(`SELECT COALESCE(SUM("usedTokens"), 0)::int AS used, COALESCE(SUM("reservedTokens"), 0)::int AS reserved FROM "QuotaCounter" WHERE "policyId" = $1`, [policy.id]);
      return rows[0].reserved === 0 && rows[0].used === K * COST ? rows[0] : null;
    }, 5000, "settled counter");
    expect(counter).toEqual({ used: K * COST, reserved: 0 });
  }, 120_000);

  it("drains every worker on SIGTERM to the primary: open streams finish and every call has its usage event", async () => {
    const slow = `${MODEL}-slow`;
    fake.setDefault({ content: "one two three four five six seven eight", chunkDelayMs: 100 });
    const streams = Array.from({ length: 6 }, () => send("POST", "/api/v1/chat/completions", adminKey, { model: slow, messages: [{ role: "user", content: "hi" }], stream: true }));
    await sleep(400); // every stream is open and relaying
    await app.stop();
    const done = await Promise.all(streams);
    for (const s of done) {
      expect(s.status).toBe(200);
      expect(s.body.trimEnd().endsWith("data: [DONE]")).toBe(true);
    }
    const ids = done.map((s) => /"id":"([^"]+)"/.exec(s.body)![1]);
    const { rows } = await sql.query(`SELECT count(*)::int AS n FROM "UsageEvent" WHERE "completionId" = ANY($1) AND status = 'ok'`, [ids]);
    expect(rows[0].n).toBe(6);
  }, 60_000);
});
