// Faults #14.1: counting tokens was quadratic in the longest run without a
// space, and a quota estimate counts the whole prompt before the upstream
// call: a 1 MB body of one letter under a quota policy held an instance at
// 100% CPU for over 11 minutes, and /api/health/live stopped answering. Sent
// here over HTTP to the production build, with a key under a quota policy.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "@/lib/accounts";
import { createApiKey } from "@/lib/auth/api-keys";
import { closeDb } from "@/lib/db";
import { createPolicy, stopSweeper } from "@/lib/quota";
import { startApp, type AppServer } from "../../support/app-server";
import { eventually } from "../../support/eventually";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";

const system = { kind: "system", name: "test" } as const;
const run = Date.now().toString(36);
// One model per encoding: o200k_base for the gpt-4o family, cl100k_base otherwise.
const MODELS = [`gpt-4o-big-body-${run}`, `big-body-${run}`];
const BODY_BYTES = 1_000_000;

describe("a 1 MB body of one letter", () => {
  let app: AppServer;
  let upstream: FakeUpstream;
  let key: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    await createAccount(system, { name: `big-body-${run}`, provider: "openai", baseUrl: upstream.openaiBaseUrl, apiKey: "sk-big-body-0000000001", models: MODELS });
    const created = await createApiKey(system, { name: `big-body-${run}`, scopes: ["completions"] });
    key = created.key;
    // Roomy limits: the estimate must be counted, and the request still admitted.
    await createPolicy(system, { name: `big-body-${run}`, scope: "key", apiKeyId: created.row.id, tokensPerDay: 100_000_000, tokensPerMinute: 100_000_000 });
    app = await startApp();
    for (const model of MODELS) {
      await eventually(async () => (await chat(model, "hi")).status === 200 || null, 20_000, `${model} routable`);
    }
  }, 600_000);

  afterAll(async () => {
    await app?.stop();
    await upstream?.close();
    stopSweeper();
    await closeDb();
  });

  function chat(model: string, content: string, signal?: AbortSignal) {
    return fetch(`${app.url}/api/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model, max_tokens: 5, messages: [{ role: "user", content }] }),
      signal,
    });
  }

  it("faults #14.1: a 1 MB single-letter body under a quota policy is answered within 5 s, and /api/health/live keeps answering meanwhile", async () => {
    for (const model of MODELS) {
      const overhead = JSON.stringify({ model, max_tokens: 5, messages: [{ role: "user", content: "" }] }).length;
      const content = "a".repeat(BODY_BYTES - overhead);
      let done = false;
      const liveLatencies: number[] = [];
      const liveFailures: string[] = [];
      const probing = (async () => {
        while (!done) {
          const t = performance.now();
          try {
            const live = await fetch(`${app.url}/api/health/live`, { signal: AbortSignal.timeout(10_000) });
            if (live.status !== 200) liveFailures.push(`status ${live.status}`);
          } catch (err) {
            liveFailures.push(String(err));
          }
          liveLatencies.push(performance.now() - t);
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const t0 = performance.now();
      let res: Response;
      try {
        // Generous for a loaded machine; before the fix this took minutes.
        res = await chat(model, content, AbortSignal.timeout(30_000));
      } finally {
        done = true;
        await probing;
      }
      const elapsed = performance.now() - t0;
      expect(liveFailures, model).toEqual([]);
      const body = (await res.json()) as { choices?: unknown[] };
      expect(res.status, model).toBe(200);
      expect(body.choices).toHaveLength(1);
      expect(elapsed, model).toBeLessThan(5_000);
      expect(liveLatencies.length).toBeGreaterThan(0);
      expect(Math.max(...liveLatencies), model).toBeLessThan(2_000);
      process.stdout.write(`${model}: 1 MB of one letter answered in ${elapsed.toFixed(0)} ms; /api/health/live at most ${Math.max(...liveLatencies).toFixed(0)} ms\n`);
    }
    // The quota estimate reached the upstream call: the fake saw both bodies.
    expect(upstream.requests.filter((r) => JSON.stringify(r.body ?? "").length > BODY_BYTES / 2)).toHaveLength(MODELS.length);
  }, 120_000);
});
