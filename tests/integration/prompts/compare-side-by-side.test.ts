// Compare side by side (issue 20 §1) over real HTTP against the production
// build: the compare view sends one playground request per column at the same
// time. Four columns stream at once (each its own response, all in flight
// together), and each is recorded as its own playground usage event in the
// editor's workspace. A version of another workspace's prompt is a 404 and
// calls nothing.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "@/lib/accounts";
import { closeDb, db } from "@/lib/db";
import { createPrompt, createPromptVersion, getVersion } from "@/lib/prompts";
import { insertUser } from "@/lib/users";
import { createWorkspace } from "@/lib/workspaces";
import { startApp, type AppServer } from "../../support/app-server";
import { signInOverHttp } from "../../support/callers";
import { eventually } from "../../support/eventually";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";

const run = randomBytes(3).toString("hex");
const MODEL = `compare-model-${run}`;
const SHARED = `compare-shared-${run}`;
const SECRET = `compare-secret-${run}`;
const TOKENS = 12;
const CHUNK_DELAY_MS = 60;

const content = (text: string) => ({
  type: "chat" as const,
  messages: [{ role: "system" as const, content: text }, { role: "user" as const, content: "{{question}}" }],
  variables: [{ name: "question", type: "string" as const, required: true }],
  config: { model: MODEL },
});

type Streamed = { status: number; completionId: string | null; text: string; firstTokenAt: number | null; endedAt: number };

describe("compare side by side: four playground streams at once", () => {
  let app: AppServer;
  let fake: FakeUpstream;
  let W = "";
  let accountId = "";
  let editorW = "";
  let viewerW = "";
  const versionIds: Record<string, string> = {};

  beforeAll(async () => {
    fake = await startFakeUpstream({ models: [MODEL] });
    // Paced, so a stream lasts long enough (TOKENS × CHUNK_DELAY_MS) that running the columns one after another could not pass.
    fake.setDefault({ completionTokens: TOKENS, chunkDelayMs: CHUNK_DELAY_MS });
    const system = { kind: "system", name: "compare-test" } as const;
    accountId = (await createAccount(system, { name: `compare-fake-${run}`, provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-compare-upstream-0001", models: [MODEL] })).id;
    W = (await createWorkspace(system, { name: `Compare W ${run}`, slug: `compare-w-${run}` })).id;
    const B = (await createWorkspace(system, { name: `Compare B ${run}`, slug: `compare-b-${run}` })).id;
    const inW = { ...system, workspaceId: W };
    const inB = { ...system, workspaceId: B };
    await createPrompt(inW, { name: SHARED, commitMessage: "v1", ...content("W's first system prompt") });
    await createPromptVersion(inW, SHARED, { commitMessage: "v2", ...content("W's second system prompt") });
    versionIds.v1 = (await getVersion(W, SHARED, 1)).id;
    versionIds.v2 = (await getVersion(W, SHARED, 2)).id;
    // B has a prompt of the same name and one W has not: neither is W's to run.
    await createPrompt(inB, { name: SHARED, commitMessage: "v1", ...content("B's secret under a shared name") });
    await createPromptVersion(inB, SHARED, { commitMessage: "v2", ...content("B's secret v2") });
    await createPromptVersion(inB, SHARED, { commitMessage: "v3", ...content("B's secret v3") });
    await createPrompt(inB, { name: SECRET, commitMessage: "v1", ...content("B's secret prompt") });

    app = await startApp();
    for (const role of ["editor", "viewer"] as const) {
      const email = `compare-${role}-${run}@compare.test`;
      const password = `pw-${role}-${randomBytes(9).toString("base64url")}`;
      await insertUser({ email, name: `${role} ${run}`, role, password, workspaceId: W, instanceAdmin: false });
      const cookie = await signInOverHttp(app.url, email, password);
      if (role === "editor") editorW = cookie;
      else viewerW = cookie;
    }
  }, 600_000);

  afterAll(async () => {
    await app?.stop();
    await db.providerAccount.deleteMany({ where: { id: accountId } });
    await fake?.close();
    await closeDb();
  });

  /** One column's run as the compare view sends it, read to the end while noting when its first token arrived. */
  async function column(cookie: string, body: Record<string, unknown>): Promise<Streamed> {
    const res = await fetch(new URL("/api/console/playground", app.url), {
      method: "POST",
      headers: { cookie, origin: app.url, "content-type": "application/json" },
      body: JSON.stringify({ accountId, model: MODEL, variables: { question: "Which is better?" }, ...body }),
    });
    const completionId = res.headers.get("x-promptgate-completion-id");
    let text = "";
    let firstTokenAt: number | null = null;
    const decoder = new TextDecoder();
    const reader = res.body!.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (firstTokenAt === null && /"content":" tok/.test(text)) firstTokenAt = Date.now();
    }
    return { status: res.status, completionId, text, firstTokenAt, endedAt: Date.now() };
  }

  it("compare #20.1: four columns stream at once, each its own stream, and are recorded as four playground usage events in the editor's workspace", async () => {
    const draft = content("W's unsaved draft");
    fake.reset();
    fake.setDefault({ completionTokens: TOKENS, chunkDelayMs: CHUNK_DELAY_MS });
    const columns = await Promise.all([
      column(editorW, { prompt: SHARED, version: 1 }),
      column(editorW, { prompt: SHARED, version: 2 }),
      column(editorW, { prompt: SHARED, draft }),
      column(editorW, { prompt: SHARED, version: 2, overrides: { temperature: 0.1 } }),
    ]);
    for (const c of columns) {
      expect(c.status).toBe(200);
      expect(c.text).toContain("data: [DONE]");
      expect(c.completionId).toMatch(/^chatcmpl-/);
      expect(c.firstTokenAt).not.toBeNull();
    }
    expect(new Set(columns.map((c) => c.completionId)).size).toBe(4);
    // At once: every column had its first token before any column finished.
    expect(Math.max(...columns.map((c) => c.firstTokenAt!))).toBeLessThan(Math.min(...columns.map((c) => c.endedAt)));
    // And upstream: four requests, every one started before the first one finished.
    const upstream = fake.requests.filter((r) => r.api === "openai");
    expect(upstream).toHaveLength(4);
    expect(Math.max(...upstream.map((r) => r.startedAt))).toBeLessThan(Math.min(...upstream.map((r) => r.finishedAt ?? Infinity)));
    // Each column ran its own template: W's versions and the draft, never B's prompt of the same name.
    const systems = upstream.map((r) => (r.body as { messages: { content: string }[] }).messages[0]!.content).sort();
    expect(systems).toEqual(["W's first system prompt", "W's second system prompt", "W's second system prompt", "W's unsaved draft"]);

    const ids = columns.map((c) => c.completionId!);
    const events = await eventually(async () => {
      const rows = await db.usageEvent.findMany({ where: { completionId: { in: ids } } });
      return rows.length === 4 ? rows : null;
    }, 15_000, "the four playground usage events");
    for (const e of events) {
      expect(e).toMatchObject({ source: "playground", workspaceId: W, apiKeyId: null, status: "ok", outputTokens: TOKENS });
    }
    const versionOf = (i: number) => events.find((e) => e.completionId === ids[i])!.promptVersionId;
    expect([versionOf(0), versionOf(1), versionOf(2), versionOf(3)]).toEqual([versionIds.v1, versionIds.v2, null, versionIds.v2]);
  });

  it("compare #20.1: a version of another workspace's prompt is a 404 that calls no model and records nothing; a viewer may not run", async () => {
    fake.reset();
    const before = await db.usageEvent.count({ where: { source: "playground", workspaceId: W } });
    for (const body of [{ prompt: SECRET, version: 1 }, { prompt: SHARED, version: 3 }]) {
      const r = await column(editorW, body);
      expect({ body, status: r.status }).toEqual({ body, status: 404 });
      expect(JSON.parse(r.text)).toMatchObject({ error: { code: "not_found" } });
    }
    const viewer = await column(viewerW, { prompt: SHARED, version: 1 });
    expect(viewer.status).toBe(403);
    expect(fake.requests).toHaveLength(0);
    // Nothing reached a model, so nothing is recorded (a refused request before admission writes no usage).
    await new Promise((r) => setTimeout(r, 500));
    expect(await db.usageEvent.count({ where: { source: "playground", workspaceId: W } })).toBe(before);
  });
});
