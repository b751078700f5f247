import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { createAccount } from "@/lib/accounts";
import { createApiKey } from "@/lib/auth/api-keys";
import { closeDb } from "@/lib/db";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { startApp, type AppServer } from "../../support/app-server";

// SIGTERM with 50 streams and 2 non-streamed calls in flight: readiness turns
// 503 at once, streams that finish within SHUTDOWN_DEADLINE_MS finish normally,
// the rest end with an explicit `shutting_down` error event, and every call has
// its usage event in the database when the process has exited.

const system = { kind: "system", name: "test" } as const;
const DEADLINE_MS = 3000;

type Outcome = { id: string; kind: "done" | "error" | "cut"; errorCode?: string; frames: number };

describe("graceful shutdown", () => {
  let app: AppServer;
  let fake: FakeUpstream;
  let key: string;
  let sql: pg.Pool;
  let stopped = false;

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL });
    fake = await startFakeUpstream({ models: ["drain-model"] });
    await createAccount(system, { name: "ops-drain", provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-ops-drain-00000001", models: ["drain-model"], firstByteTimeoutMs: 60_000, idleTimeoutMs: 10_000 });
    key = (await createApiKey(system, { name: "ops-drain", scopes: ["completions"] })).key;
    app = await startApp({ SHUTDOWN_DEADLINE_MS: String(DEADLINE_MS), USAGE_FLUSH_MS: "60000" });
  }, 300_000);

  afterAll(async () => {
    if (!stopped) await app?.stop();
    await fake?.close();
    await sql?.end();
    await closeDb();
  });

  const post = (body: Record<string, unknown>) =>
    fetch(`${app.url}/api/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "drain-model", messages: [{ role: "user", content: "hi" }], ...body }),
    });

  async function readStream(res: Response): Promise<Outcome> {
    const id = res.headers.get("x-promptgate-completion-id")!;
    let raw = "";
    try {
      raw = await res.text();
    } catch {
      return { id, kind: "cut", frames: 0 };
    }
    const frames = raw.split("\n\n").filter(Boolean);
    const last = frames.at(-1) ?? "";
    if (last === "data: [DONE]") return { id, kind: "done", frames: frames.length };
    const parsed = last.startsWith("data: ") ? JSON.parse(last.slice(6)) : null;
    if (parsed?.error) return { id, kind: "error", errorCode: parsed.error.code, frames: frames.length };
    return { id, kind: "cut", frames: frames.length };
  }

  it("leaves every one of 50 streams complete or explicitly errored, and loses no usage event", async () => {
    // 25 streams finish in ~0.5 s, 25 would need ~30 s: longer than the deadline.
    // USAGE_FLUSH_MS is a minute, so every event still queued must be written by the shutdown flush.
    const behaviours = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? { completionTokens: 5, chunkDelayMs: 100 } : { completionTokens: 300, chunkDelayMs: 100 }));
    fake.enqueue(behaviours);
    const responses = await Promise.all(behaviours.map(() => post({ stream: true })));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    const outcomes = responses.map(readStream);
    // Two non-streamed calls whose upstream never answers.
    fake.enqueue([{ hang: true }, { hang: true }]);
    const waiting = [post({}), post({})].map((p) => p.then((r) => r.status, () => "cut"));
    await fake.waitForRequests(52, 10_000);

    const t0 = Date.now();
    const stopping = app.stop();
    stopped = true;
    // Readiness turns 503 at once, while the streams drain.
    let ready = 0;
    for (let i = 0; i < 20 && ready !== 503; i++) {
      ready = await fetch(`${app.url}/api/health/ready`).then((r) => r.status, () => -1);
      if (ready !== 503) await new Promise((r) => setTimeout(r, 25));
    }
    expect(ready).toBe(503);

    const results = await Promise.all(outcomes);
    await stopping;
    const exitedAfterMs = Date.now() - t0;
    await Promise.all(waiting);

    const done = results.filter((r) => r.kind === "done");
    const errored = results.filter((r) => r.kind === "error");
    expect(results.filter((r) => r.kind === "cut")).toEqual([]);
    expect(done.length).toBe(25);
    expect(errored.length).toBe(25);
    expect(new Set(errored.map((r) => r.errorCode))).toEqual(new Set(["shutting_down"]));
    // The deadline was honoured: not cut early, not waited out for 30 s.
    expect(exitedAfterMs).toBeGreaterThanOrEqual(DEADLINE_MS - 200);
    // Well before the harness's SIGKILL (10 s after SIGTERM): hanging upstream requests do not hold the exit.
    expect(exitedAfterMs).toBeLessThan(DEADLINE_MS + 5000);

    // 0 usage events lost: 52 requests, 52 rows, written before the process exited.
    const { rows } = await sql.query<{ status: string; errorCode: string | null; n: number }>(
      `SELECT status, "errorCode", count(*)::int AS n FROM "UsageEvent" WHERE "requestedModel" = 'drain-model' GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    expect(rows).toEqual([
      { status: "error", errorCode: "shutting_down", n: 27 },
      { status: "ok", errorCode: null, n: 25 },
    ]);
    const ids = results.map((r) => r.id);
    const { rows: byId } = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "UsageEvent" WHERE "completionId" = ANY($1)`, [ids]);
    expect(byId[0]!.n).toBe(50);
    expect(app.output()).toMatch(/shutdown deadline reached/);
  });
});
