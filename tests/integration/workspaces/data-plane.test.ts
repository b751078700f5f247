// Workspaces on the data plane (issue 18 §1): a key belongs to one workspace, and
// /api/completion, the Responses API's `prompt: {id}` and GET /api/prompts/:name
// resolve prompts within it; caches and invalidation are per workspace; usage
// events and request logs record it; a workspace's allowed models bound every
// surface, and a key's `model:` scopes narrow them, never widen them.
// Real route handlers, real Postgres, a real fake upstream over HTTP.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAccount } from "@/lib/accounts";
import { createApiKey, verifyApiKey } from "@/lib/auth/api-keys";
import type { Principal } from "@/lib/core";
import { closeDb, db } from "@/lib/db";
import { setKeyLogging } from "@/lib/filters";
import { createPrompt, createPromptVersion, invalidatePrompt, moveLabel, resolvePrompt } from "@/lib/prompts";
import { createWorkspace, updateWorkspace } from "@/lib/workspaces";
import * as completionRoute from "@/app/api/completion/route";
import * as templateRoute from "@/app/api/prompts/[name]/route";
import * as chatRoute from "@/app/api/v1/chat/completions/route";
import * as messagesRoute from "@/app/api/v1/messages/route";
import * as modelsRoute from "@/app/api/v1/models/route";
import * as responsesRoute from "@/app/api/v1/responses/route";
import { call } from "../../support/http";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { eventually } from "../../support/eventually";

const run = Date.now().toString(36);
const MODEL = `ws-model-${run}`;
const OTHER = `ws-other-${run}`;
const NAME = `support-${run}`;

const content = (text: string) => ({
  type: "chat",
  messages: [{ role: "system", content: text }, { role: "user", content: "{{question}}" }],
  variables: [{ name: "question", type: "string", required: true }],
  config: { model: MODEL, max_tokens: 20 },
});

describe("workspaces on the data plane", () => {
  let fake: FakeUpstream;
  const ws = { a: "", b: "" };
  const as = { a: null as unknown as Principal, b: null as unknown as Principal };
  const auth = { a: {} as Record<string, string>, b: {} as Record<string, string> };
  const keyIds = { a: "", b: "" };

  const systemIn = (workspaceId: string): Principal => ({ kind: "system", name: "test", workspaceId });
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
  const completion = (headers: Record<string, string>, body: unknown = { prompt: NAME, variables: { question: "hi" } }) =>
    call(completionRoute.POST, { method: "POST", path: "/api/completion", headers, body });
  const template = (headers: Record<string, string>) => call(templateRoute.GET, { path: `/api/prompts/${NAME}`, headers, params: { name: NAME } });
  const systemSent = () => {
    const last = fake.requests.at(-1)!;
    return (last.body as { messages: { role: string; content: string }[] }).messages[0]!.content;
  };
  const usageOf = (completionId: string) => eventually(() => db.usageEvent.findUnique({ where: { completionId } }), 10_000, `a usage event for ${completionId}`);

  beforeAll(async () => {
    fake = await startFakeUpstream();
    await createAccount({ kind: "system", name: "test" }, { name: `ws-fake-${run}`, provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-ws-upstream-000001", models: [MODEL, OTHER] });
    for (const k of ["a", "b"] as const) {
      ws[k] = (await createWorkspace({ kind: "system", name: "test" }, { name: `Team ${k.toUpperCase()}`, slug: `team-${k}-${run}` })).id;
      as[k] = systemIn(ws[k]);
      const key = await createApiKey(as[k], { name: `ws-${k}-${run}`, scopes: ["completions"] });
      auth[k] = bearer(key.key);
      keyIds[k] = key.row.id;
    }
    // The same name in both workspaces: two prompts. A serves v2 on production, B v1.
    await createPrompt(as.a, { name: NAME, commitMessage: "A1", labels: ["production"], ...content("You are Team A's assistant v1.") });
    await createPromptVersion(as.a, NAME, { commitMessage: "A2", labels: ["production"], ...content("You are Team A's assistant v2.") });
    await createPrompt(as.b, { name: NAME, commitMessage: "B1", labels: ["production"], ...content("You are Team B's assistant.") });
  });

  afterAll(async () => {
    await db.providerAccount.deleteMany({ where: { name: `ws-fake-${run}` } });
    await fake?.close();
    await closeDb();
  });

  beforeEach(() => fake.reset());

  it("a verified key carries its workspace (and its allowed models) from the one cached read", async () => {
    const check = await verifyApiKey(auth.b.authorization!.slice(7));
    expect(check.ok && check.principal.kind === "apiKey" && check.principal.key.workspace).toEqual({ id: ws.b, allowedModels: [] });
  });

  it("the same prompt name returns each workspace's own template through GET /api/prompts/:name", async () => {
    const [a, b] = [await template(auth.a), await template(auth.b)];
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.json).toMatchObject({ name: NAME, version: 2, messages: [{ content: "You are Team A's assistant v2." }, expect.anything()] });
    expect(b.json).toMatchObject({ name: NAME, version: 1, messages: [{ content: "You are Team B's assistant." }, expect.anything()] });
    // A key of a workspace with no such prompt: 404, as for a name that exists nowhere.
    const c = await createWorkspace({ kind: "system", name: "test" }, { name: "Empty", slug: `empty-${run}` });
    const { key } = await createApiKey(systemIn(c.id), { name: `ws-c-${run}`, scopes: ["completions"] });
    expect((await template(bearer(key))).status).toBe(404);
    expect((await completion(bearer(key))).status).toBe(404);
  });

  it("/api/completion renders the key's workspace's prompt, and its usage event records that workspace", async () => {
    const a = await completion(auth.a);
    expect(a.status).toBe(200);
    expect(systemSent()).toBe("You are Team A's assistant v2.");
    const b = await completion(auth.b);
    expect(b.status).toBe(200);
    expect(systemSent()).toBe("You are Team B's assistant.");
    expect(b.headers.get("x-promptgate-prompt-version")).toBe("1");
    expect((await usageOf(a.json.id)).workspaceId).toBe(ws.a);
    expect((await usageOf(b.json.id)).workspaceId).toBe(ws.b);
  });

  it("the Responses API's prompt: {id} resolves within the key's workspace", async () => {
    const r = await call(responsesRoute.POST, { method: "POST", path: "/api/v1/responses", headers: auth.b, body: { prompt: { id: NAME, variables: { question: "hi" } } } });
    expect(r.status).toBe(200);
    expect(systemSent()).toBe("You are Team B's assistant.");
    const r2 = await call(responsesRoute.POST, { method: "POST", path: "/api/v1/responses", headers: auth.a, body: { prompt: { id: NAME, variables: { question: "hi" } } } });
    expect(r2.status).toBe(200);
    expect(systemSent()).toBe("You are Team A's assistant v2.");
  });

  it("a label move in A is served to A at once and neither serves nor evicts B's cached prompt", async () => {
    // Both cached.
    await resolvePrompt(ws.a, NAME);
    const cachedB = await resolvePrompt(ws.b, NAME);
    // Change B's row behind the cache's back: only an eviction of B's entry would reveal it.
    const bPrompt = await db.prompt.findUniqueOrThrow({ where: { workspaceId_name: { workspaceId: ws.b, name: NAME } } });
    await createPromptVersion(systemIn(ws.b), NAME, { commitMessage: "B2", ...content("You are Team B's assistant v2.") });
    const v2 = await db.promptVersion.findFirstOrThrow({ where: { promptId: bPrompt.id, version: 2 } });
    await db.promptLabel.update({ where: { promptId_name: { promptId: bPrompt.id, name: "production" } }, data: { versionId: v2.id } });
    // That save invalidated B ("<B>/<name>"); cache B's v2 answer, then put the row back without telling anyone.
    expect((await resolvePrompt(ws.b, NAME)).version.version).toBe(2);
    const v1 = await db.promptVersion.findFirstOrThrow({ where: { promptId: bPrompt.id, version: 1 } });
    await db.promptLabel.update({ where: { promptId_name: { promptId: bPrompt.id, name: "production" } }, data: { versionId: v1.id } });

    await moveLabel(as.a, NAME, "production", { version: 1 });
    expect((await resolvePrompt(ws.a, NAME)).version.version).toBe(1);
    expect((await template(auth.a)).json).toMatchObject({ version: 1, messages: [{ content: "You are Team A's assistant v1." }, expect.anything()] });
    // B still serves its cached entry: A's move did not evict it.
    expect((await resolvePrompt(ws.b, NAME)).version.version).toBe(2);
    expect(cachedB.version.version).toBe(1);
    await invalidatePrompt(ws.b, NAME);
    expect((await resolvePrompt(ws.b, NAME)).version.version).toBe(1);
  });

  it("request logs record the key's workspace", async () => {
    await setKeyLogging(as.b, keyIds.b, { enabled: true, retentionDays: 7 });
    const r = await completion(auth.b);
    expect(r.status).toBe(200);
    const log = await eventually(() => db.requestLog.findFirst({ where: { completionId: r.json.id } }), 10_000, "a request log");
    expect(log.workspaceId).toBe(ws.b);
  });

  describe("allowed models", () => {
    beforeAll(async () => {
      await updateWorkspace({ kind: "system", name: "test" }, { id: ws.b, allowedModels: [OTHER] });
    });

    const surfaces = (headers: Record<string, string>, model: string) => ({
      chat: () => call(chatRoute.POST, { method: "POST", path: "/api/v1/chat/completions", headers, body: { model, messages: [{ role: "user", content: "hi" }] } }),
      messages: () => call(messagesRoute.POST, { method: "POST", path: "/api/v1/messages", headers, body: { model, max_tokens: 10, messages: [{ role: "user", content: "hi" }] } }),
      responses: () => call(responsesRoute.POST, { method: "POST", path: "/api/v1/responses", headers, body: { model, input: "hi" } }),
      completion: () => completion(headers, { prompt: NAME, variables: { question: "hi" }, overrides: { model } }),
    });

    it("refuses a model outside the workspace's list on every surface, before any upstream call, and admits one inside it", async () => {
      await eventually(async () => {
        const check = await verifyApiKey(auth.b.authorization!.slice(7));
        return check.ok && check.principal.kind === "apiKey" && check.principal.key.workspace.allowedModels.includes(OTHER) ? true : null;
      }, 10_000, "the key cache to drop B's old model list");
      for (const [surface, send] of Object.entries(surfaces(auth.b, MODEL))) {
        const r = await send();
        expect({ surface, status: r.status }).toEqual({ surface, status: 403 });
        expect(r.text).toContain("This workspace may not use the model");
      }
      expect(fake.requests).toHaveLength(0);
      for (const [surface, send] of Object.entries(surfaces(auth.b, OTHER))) {
        expect({ surface, status: (await send()).status }).toEqual({ surface, status: 200 });
      }
      // Workspace A has no list: every model.
      expect((await surfaces(auth.a, MODEL).chat()).status).toBe(200);
      // GET /v1/models lists only what the key may call.
      const listed = async (headers: Record<string, string>) =>
        ((await call(modelsRoute.GET, { path: "/api/v1/models", headers })).json.data as { id: string }[]).map((m) => m.id);
      expect(await listed(auth.b)).toContain(OTHER);
      expect(await listed(auth.b)).not.toContain(MODEL);
      expect(await listed(auth.a)).toEqual(expect.arrayContaining([MODEL, OTHER]));
    });

    it("a key's model: scopes narrow the workspace's list and never widen it", async () => {
      const wide = await createApiKey(as.b, { name: `ws-wide-${run}`, scopes: [`model:${MODEL}`, `model:${OTHER}`] });
      expect((await surfaces(bearer(wide.key), MODEL).chat()).status).toBe(403);
      expect((await surfaces(bearer(wide.key), OTHER).chat()).status).toBe(200);
      const narrow = await createApiKey(as.b, { name: `ws-narrow-${run}`, scopes: [`model:${MODEL}`] });
      expect((await surfaces(bearer(narrow.key), MODEL).chat()).status).toBe(403);
      expect((await surfaces(bearer(narrow.key), OTHER).chat()).status).toBe(403);
    });
  });
});
