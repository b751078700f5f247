// A process killed (SIGKILL) in the middle of a stream never settles its
// reservation; once the reservation expires another instance's sweeper gives
// the reserved tokens back.
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { createAccount } from "@/lib/accounts";
import { closeDb } from "@/lib/db";
import { createPolicy } from "@/lib/quota";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { ensureBuild, freePort, startApp, type AppServer } from "../../support/app-server";
import { counters, eventually, newKey, system, unique } from "./helpers";

const MODEL = "quota-crash-model";
const TTL_MS = 1500;

/** `next start` like startApp, but killable with SIGKILL. */
async function startKillable(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  ensureBuild();
  const port = await freePort();
  const child = spawn(process.execPath, ["node_modules/next/dist/bin/next", "start", "-p", String(port), "-H", "127.0.0.1"], {
    env: { ...process.env, NODE_ENV: "production", LOG_LEVEL: "warn", USAGE_FLUSH_MS: "100", NEXT_MANUAL_SIG_HANDLE: "1", ...env },
    stdio: "ignore",
  });
  const url = `http://127.0.0.1:${port}`;
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}`);
    return fetch(`${url}/api/health/ready`).then((r) => r.ok).catch(() => false);
  }, 60_000);
  return { url, child };
}

describe("reservations of a killed process", () => {
  let fake: FakeUpstream;
  let survivor: AppServer;
  let victim: ChildProcess | undefined;
  let sql: pg.Pool;

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL });
    fake = await startFakeUpstream();
    await createAccount(system, { name: unique("quota-crash-upstream"), provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-quota-upstream-0003", models: [MODEL] });
  }, 600_000);

  afterAll(async () => {
    victim?.kill("SIGKILL");
    await survivor?.stop();
    await fake?.close();
    await sql?.end();
    await closeDb();
  });

  it("are reclaimed by the sweeper of a live instance after they expire", async () => {
    const k = await newKey();
    const p = await createPolicy(system, { name: unique("crash"), scope: "key", apiKeyId: k.id, tokensPerDay: 1_000_000 });
    const env = { QUOTA_RESERVATION_TTL_MS: String(TTL_MS), QUOTA_SWEEP_MS: "300" };
    const started = await startKillable(env);
    victim = started.child;

    fake.enqueue({ completionTokens: 500, chunkDelayMs: 100 });
    const res = await fetch(`${started.url}/api/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${k.key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "long story" }], max_tokens: 500, stream: true }),
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read();
    // While the victim lives it keeps renewing its hold, well past the TTL.
    await new Promise((r) => setTimeout(r, TTL_MS * 2));
    const held = (await counters(sql, p.id))[0]!;
    expect(held.reservedTokens).toBeGreaterThan(500);
    expect(held.reservedRequests).toBe(1);

    victim.kill("SIGKILL");
    await new Promise((r) => victim!.once("exit", r));
    await reader.cancel().catch(() => {});
    victim = undefined;

    survivor = await startApp(env);
    // The survivor's sweeper starts with its first admission.
    const other = await newKey();
    await createPolicy(system, { name: unique("wake"), scope: "key", apiKeyId: other.id, requestsPerMinute: 1000 });
    fake.enqueue({ completionTokens: 1 });
    const wake = await fetch(`${survivor.url}/api/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${other.key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "hi" }], max_tokens: 1 }),
    });
    expect(wake.status).toBe(200);

    const released = await eventually(async () => {
      const [c] = await counters(sql, p.id);
      return c && c.reservedTokens === 0 ? c : null;
    }, 10_000);
    expect(released).toMatchObject({ reservedRequests: 0, reservedTokens: 0, usedTokens: 0 });
    const { rows } = await sql.query(`SELECT count(*)::int AS n FROM "QuotaReservation" WHERE "completionId" = $1`, [res.headers.get("x-promptgate-completion-id")]);
    expect(rows[0].n).toBe(0);
  });
});
