// Opt-in request/response logging, in-process through the real pipeline: stored
// only for keys that opted in, redacted before storage, expiring by retention.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount, invalidateRegistry } from "@/lib/accounts";
import { createApiKey, verifyApiKey } from "@/lib/auth/api-keys";
import { closeDb, db } from "@/lib/db";
import { setKeyLogging, listRequestLogs } from "@/lib/filters";
import { chat, chatCompletionRequest } from "@/lib/gateway";
import type { Principal } from "@/lib/core";
import type { ChatCompletionRequest } from "@/lib/providers";
import { exportEvents, flushUsage } from "@/lib/usage";
import { usageViewQuery, viewFromQuery } from "@/lib/usage/schemas";

const system = { kind: "system", name: "test" } as const;
const run = Date.now().toString(36);
const MODEL = `log-sim-${run}`;

async function principalFor(key: string): Promise<Principal> {
  const check = await verifyApiKey(key);
  if (!check.ok) throw new Error("key did not verify");
  return check.principal;
}

async function call(p: Principal, content: string, stream: boolean) {
  const req = chatCompletionRequest.parse({ model: MODEL, stream, max_tokens: 12, messages: [{ role: "user", content }] });
  const res = await chat(p, req as ChatCompletionRequest, new AbortController().signal);
  await res.text();
  await flushUsage(5000);
  return res.headers.get("x-promptgate-completion-id")!;
}

describe("request/response logging (opt-in per key)", () => {
  let logged: { id: string; key: string };
  let quiet: { id: string; key: string };

  beforeAll(async () => {
    await createAccount(system, { name: `log-sim-${run}`, provider: "simulator", models: [MODEL], settings: { ttftMs: 0, tokensPerSecond: 0 } });
    invalidateRegistry();
    const a = await createApiKey(system, { name: `log-on-${run}`, scopes: ["completions"] });
    const b = await createApiKey(system, { name: `log-off-${run}`, scopes: ["completions"] });
    logged = { id: a.row.id, key: a.key };
    quiet = { id: b.row.id, key: b.key };
    await setKeyLogging(system, logged.id, { enabled: true, retentionDays: 7 });
  });

  afterAll(closeDb);

  it("stores the redacted request and response of a key that opted in, streamed or not", async () => {
    const p = await principalFor(logged.key);
    const plain = await call(p, `Mail me at jane.doe@example.com from 10.1.2.3, run ${run}`, false);
    const streamed = await call(p, `Card 4111 1111 1111 1111 please, run ${run}`, true);
    const rows = await listRequestLogs("00000000-0000-0000-0000-000000000001", logged.id);
    const byId = new Map(rows.map((r) => [r.completionId, r]));
    for (const id of [plain, streamed]) {
      const row = byId.get(id)!;
      expect(row).toBeDefined();
      expect(row.status).toBe(200);
      expect(typeof row.response).toBe("string");
      expect((row.response as string).length).toBeGreaterThan(0);
      expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBe(7 * 86_400_000);
    }
    const stored = JSON.stringify(rows.map((r) => [r.request, r.response]));
    expect(stored).not.toContain("jane.doe@example.com");
    expect(stored).not.toContain("10.1.2.3");
    expect(stored).not.toContain("4111 1111 1111 1111");
    expect(stored).toContain(`run ${run}`); // the rest of the text is kept
  });

  it("logs the status the client was answered with when a call fails", async () => {
    const p = await principalFor(logged.key);
    const attempt = async (body: Record<string, unknown>) => {
      const req = chatCompletionRequest.parse({ model: MODEL, max_tokens: 4, messages: [{ role: "user", content: `fail ${run}` }], ...body });
      const err = await chat(p, req as ChatCompletionRequest, new AbortController().signal).then(
        () => { throw new Error("the call should have failed"); },
        (e: { status: number; details: { headers?: Record<string, string> } }) => e,
      );
      await flushUsage(5000);
      return { status: err.status, id: err.details.headers?.["x-promptgate-completion-id"] };
    };
    const unknown = await attempt({ model: `no-such-model-${run}` });
    const rejected = await attempt({ n: 2 }); // the simulator, like a real upstream, refuses n > 1 with a 400
    expect([unknown.status, rejected.status]).toEqual([404, 400]);
    const byId = new Map((await listRequestLogs("00000000-0000-0000-0000-000000000001", logged.id)).map((r) => [r.completionId, r.status]));
    expect([byId.get(unknown.id!), byId.get(rejected.id!)]).toEqual([404, 400]);
  });

  it("keeps logs out of the raw-events CSV unless they are asked for", async () => {
    const view = viewFromQuery(usageViewQuery.parse({ range: "1h", key: logged.id }));
    const plain = await new Response((await exportEvents(system, view)).stream).text();
    expect(plain.split("\n")[0]).not.toContain("request_log");
    expect(plain).not.toContain(`run ${run}`);
    const withLogs = await new Response((await exportEvents(system, view, { includeLogs: true })).stream).text();
    expect(withLogs.split("\n")[0]).toContain("request_log");
    expect(withLogs).toContain(`run ${run}`);
    expect(withLogs).not.toContain("jane.doe@example.com");
  });

  it("stores nothing for a key that did not opt in", async () => {
    await call(await principalFor(quiet.key), "hello there", false);
    expect(await db.requestLog.count({ where: { apiKeyId: quiet.id } })).toBe(0);
  });

  it("hides expired entries from the viewer", async () => {
    expect((await listRequestLogs("00000000-0000-0000-0000-000000000001", logged.id)).length).toBeGreaterThan(0);
    await db.requestLog.updateMany({ where: { apiKeyId: logged.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await listRequestLogs("00000000-0000-0000-0000-000000000001", logged.id)).toHaveLength(0);
  });
});
