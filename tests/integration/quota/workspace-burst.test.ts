// Issue 19 "done when": 500 concurrent calls across two `next start` processes on one database,
// against a workspace budget and a key limit together: neither is overshot (not even while the
// calls are in flight), and the 80% threshold is recorded, with its outbox event, exactly once, and
// reaches the workspace's webhook receiver once per policy, with a signature the README's snippet verifies.
//
// Exactness as in concurrency.test.ts: the fake upstream reports the gateway's own prompt count and
// max_tokens as the completion, so every admitted call's estimate is its actual cost.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { createAccount } from "@/lib/accounts";
import { createApiKey } from "@/lib/auth/api-keys";
import { closeDb, db } from "@/lib/db";
import { countChatTokens } from "@/lib/providers";
import { createPolicy } from "@/lib/quota";
import { createWebhook } from "@/lib/webhooks";
import { createWorkspace } from "@/lib/workspaces";
import type { Principal } from "@/lib/core";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { startApp, type AppServer } from "../../support/app-server";
import { startReceiver, type Receiver } from "../../support/webhook-receiver";
import { counters, eventually, system, unique } from "./helpers";

const MODEL = "quota-ws-burst-model";
const messages = [{ role: "user" as const, content: "Count to three." }];
const PROMPT = countChatTokens(MODEL, messages);
const COMPLETION = 6;
const COST = PROMPT + COMPLETION;
const CALLS = 500;
const TEAM = 150; // calls the workspace budget admits
const KEY_A = 60; // calls key A's own limit admits

async function call(url: string, key: string, stream: boolean): Promise<{ status: number; code?: string }> {
  const res = await fetch(`${url}/api/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: MODEL, messages, max_tokens: COMPLETION, stream }),
  });
  const text = await res.text();
  return res.status === 200 ? { status: 200 } : { status: res.status, code: JSON.parse(text).error?.code as string };
}

describe("issue 19: a workspace budget and a key limit under 500 concurrent calls on two instances", () => {
  let fake: FakeUpstream;
  let apps: AppServer[] = [];
  let sql: pg.Pool;
  let account = "";
  let rx: Receiver;

  beforeAll(async () => {
    rx = await startReceiver();
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL });
    fake = await startFakeUpstream({ defaultBehaviour: { promptTokens: PROMPT, completionTokens: COMPLETION, chunkDelayMs: 2 } });
    account = unique("ws-burst-upstream");
    await createAccount(system, { name: account, provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-ws-burst-0001", models: [MODEL] });
    apps = await Promise.all([startApp({ WEBHOOK_POLL_MS: "300" }), startApp({ WEBHOOK_POLL_MS: "300" })]);
  }, 900_000);

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await db.providerAccount.deleteMany({ where: { name: account } });
    await fake?.close();
    await rx?.close();
    await sql?.end();
    await closeDb();
  });

  it("issue 19 done-when: no overshoot of the workspace budget or the key limit, and the 80% alert and its outbox event exist exactly once", async () => {
    // Not across a UTC midnight: the budget is per day.
    const left = 86_400_000 - (Date.now() % 86_400_000);
    if (left < 180_000) await new Promise((r) => setTimeout(r, left + 100));
    const slug = unique("burst").toLowerCase();
    const ws = await createWorkspace(system, { name: slug, slug });
    const inWs: Principal = { kind: "system", name: "test", workspaceId: ws.id };
    const a = await createApiKey(inWs, { name: unique("burst-a"), scopes: ["completions"] });
    const b = await createApiKey(inWs, { name: unique("burst-b"), scopes: ["completions"] });
    const team = await createPolicy(inWs, { name: unique("team-budget"), scope: "workspace", tokensPerDay: COST * TEAM + Math.floor(COST / 2) });
    const keyA = await createPolicy(inWs, { name: unique("key-a-limit"), scope: "key", apiKeyId: a.row.id, tokensPerDay: COST * KEY_A + 1 });
    const hook = await createWebhook(inWs, { url: rx.url, eventTypes: ["budget.threshold"], description: "budget alerts" });
    rx.secret = hook.secret;

    // Watch the counters while the burst runs: used + reserved must never pass a limit.
    let peak = { team: 0, keyA: 0 };
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [t] = await counters(sql, team.id);
        const [k] = await counters(sql, keyA.id);
        peak = { team: Math.max(peak.team, (t?.usedTokens ?? 0) + (t?.reservedTokens ?? 0)), keyA: Math.max(peak.keyA, (k?.usedTokens ?? 0) + (k?.reservedTokens ?? 0)) };
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    const outcomes = await Promise.all(Array.from({ length: CALLS }, (_, i) => {
      const key = i % 2 ? a : b;
      return call(apps[(i >> 1) % 2]!.url, key.key, i % 3 === 0).then((o) => ({ ...o, key: key.row.id }));
    }));
    const admitted = outcomes.filter((o) => o.status === 200);
    const admittedA = admitted.filter((o) => o.key === a.row.id).length;
    for (const o of outcomes.filter((x) => x.status !== 200)) expect(o).toMatchObject({ status: 429 });

    const [t, k] = await eventually(async () => {
      const [t] = await counters(sql, team.id);
      const [k] = await counters(sql, keyA.id);
      return t && k && t.reservedTokens === 0 && t.usedRequests === admitted.length && k.reservedTokens === 0 ? ([t, k] as const) : null;
    }, 30_000, "every admitted call settled");
    sampling = false;
    await sampler;

    expect(admittedA).toBeLessThanOrEqual(KEY_A);
    expect(admitted.length).toBeLessThanOrEqual(TEAM);
    expect(t.usedTokens).toBe(admitted.length * COST);
    expect(k.usedTokens).toBe(admittedA * COST);
    expect(t.usedTokens).toBeLessThanOrEqual(COST * TEAM + Math.floor(COST / 2));
    expect(k.usedTokens).toBeLessThanOrEqual(COST * KEY_A + 1);
    expect(peak.team).toBeLessThanOrEqual(COST * TEAM + Math.floor(COST / 2));
    expect(peak.keyA).toBeLessThanOrEqual(COST * KEY_A + 1);
    // Both limits bind: the burst asks for far more than either.
    expect(admitted.length).toBe(TEAM);
    expect(admittedA).toBe(KEY_A);

    const { rows: alerts } = await sql.query(`SELECT "policyId", "threshold" FROM "QuotaAlert" WHERE "policyId" = ANY($1::uuid[]) AND "kind" = 'threshold' AND "threshold" = 80`, [[team.id, keyA.id]]);
    expect(alerts.map((r) => r.policyId).sort()).toEqual([team.id, keyA.id].sort());
    const { rows: events } = await sql.query(
      `SELECT "data"->>'policyId' AS "policyId", "workspaceId" FROM "OutboxEvent" WHERE "type" = 'budget.threshold' AND ("data"->>'threshold')::int = 80 AND "data"->>'policyId' = ANY($1::text[])`,
      [[team.id, keyA.id]],
    );
    expect(events.map((r) => r.policyId).sort()).toEqual([team.id, keyA.id].sort());
    expect(events.every((r) => r.workspaceId === ws.id)).toBe(true);

    // The workspace's endpoint gets every threshold event of the workspace once each, signed; the 80%
    // line once per policy.
    const { rows: thresholdEvents } = await sql.query(`SELECT "id" FROM "OutboxEvent" WHERE "type" = 'budget.threshold' AND "workspaceId" = $1`, [ws.id]);
    expect(thresholdEvents.length).toBeGreaterThanOrEqual(4); // 50 and 80 for each policy
    const received = await eventually(async () => (rx.received.length >= thresholdEvents.length ? rx.received : null), 30_000, "the budget webhooks");
    await new Promise((r) => setTimeout(r, 1_000)); // nothing more arrives
    expect(rx.received.every((r) => r.verified === true)).toBe(true);
    expect(rx.received.map((r) => r.json.id).sort()).toEqual(thresholdEvents.map((r) => r.id).sort());
    const at80 = received.filter((r) => (r.json.data as { threshold?: number }).threshold === 80).map((r) => (r.json.data as { policyId: string }).policyId);
    expect(at80.sort()).toEqual([team.id, keyA.id].sort());
    expect(new Set(rx.received.map((r) => r.json.id)).size).toBe(rx.received.length);
  }, 300_000);
});
