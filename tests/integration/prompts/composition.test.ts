// Issue 20 §2, composition: a template includes another prompt of its workspace with
// `{{> name@label}}` or `{{> name#3}}`. Two `next start` instances on one database: a composed
// prompt renders, the response and the usage event record the parent's version and each included
// one's, and a label move on the included prompt through instance A is served by instance B within
// 1 s (its cached composition is dropped by the included prompt's notification). Errors (cycle,
// depth, missing reference, a chat prompt inlined into text) are 400s in each dialect's envelope.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { createAccount } from "@/lib/accounts";
import { createApiKey } from "@/lib/auth/api-keys";
import { AppError } from "@/lib/core";
import { closeDb, db } from "@/lib/db";
import { createPrompt, createPromptVersion, deleteLabel, moveLabel } from "@/lib/prompts";
import { createWorkspace } from "@/lib/workspaces";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { startApp, type AppServer } from "../../support/app-server";
import { usageEventOf } from "../../support/eventually";

const system = { kind: "system", name: "test" } as const;
const run = Date.now().toString(36);
const MODEL = `co-model-${run}`;
const n = (s: string) => `co-${s}-${run}`;

const chat = (...messages: [string, string][]) => ({
  type: "chat", messages: messages.map(([role, content]) => ({ role, content })), config: { model: MODEL },
});
const text = (t: string, variables: unknown[] = []) => ({ type: "text", text: t, variables, config: { model: MODEL } });

async function refusal(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error("expected a refusal");
}

describe("prompt composition", () => {
  let a: AppServer;
  let b: AppServer;
  let fake: FakeUpstream;
  let key: string;
  let sql: pg.Pool;

  type Completion = {
    prompt: string; version: number; label: string | null; includes?: { prompt: string; version: number; label: string | null }[];
    id: string; error?: { message: string; type: string; code: string; param: string | null };
  };
  const complete = async (app: AppServer, body: Record<string, unknown>) => {
    const r = await fetch(`${app.url}/api/completion`, {
      method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as Completion };
  };
  /** Polls until the response has `status` (a change reaches another instance over LISTEN/NOTIFY in milliseconds). */
  const completeUntil = async (app: AppServer, body: Record<string, unknown>, status: number) => {
    const t0 = Date.now();
    for (;;) {
      const r = await complete(app, body);
      if (r.status === status || Date.now() - t0 > 3000) return r;
      await new Promise((res) => setTimeout(res, 20));
    }
  };
  const lastMessages = () => fake.requests.at(-1)!.body.messages as { role: string; content: string }[];

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL });
    fake = await startFakeUpstream({ defaultBehaviour: { content: "ok", completionTokens: 1 } });
    await createAccount(system, { name: n("fake"), provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-co-upstream-00001", models: ["co-*"] });
    key = (await createApiKey(system, { name: n("key"), scopes: ["completions", "admin"] })).key;
    // The shared piece: v1 is production, v2 is only latest until the test moves production.
    await createPrompt(system, { name: n("tone"), ...text("Be brief, {{who}}.", [{ name: "who" }]), labels: ["production"] });
    await createPromptVersion(system, n("tone"), { ...text("Be thorough, {{who}}."), variables: [{ name: "who" }], commitMessage: "v2" });
    await createPrompt(system, { name: n("parent"), ...chat(["system", `You help. {{> ${n("tone")}@production}}`], ["user", "{{q}}"]), variables: [{ name: "q" }], labels: ["production"] });
    a = await startApp();
    b = await startApp();
  }, 600_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db.providerAccount.deleteMany({ where: { name: n("fake") } });
    await fake?.close();
    await sql?.end();
    await closeDb();
  });

  it("issue 20 §2: a composed prompt renders with the included text and its declared variables, and the response names both versions", async () => {
    const r = await complete(a, { prompt: n("parent"), variables: { q: "Why?", who: "Ann" } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(lastMessages()).toEqual([{ role: "system", content: "You help. Be brief, Ann." }, { role: "user", content: "Why?" }]);
    expect(r.body).toMatchObject({ prompt: n("parent"), version: 1, label: "production", includes: [{ prompt: n("tone"), version: 1, label: "production" }] });
    // The included prompt declares `who` as required: the parent inherits the declaration.
    const missing = await complete(a, { prompt: n("parent"), variables: { q: "Why?" } });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ param: "variables.who", type: "invalid_request_error" });
  });

  it("issue 20 §2: the usage event records the parent's version and each included one's", async () => {
    const r = await complete(b, { prompt: n("parent"), variables: { q: "Q", who: "Bo" } });
    expect(r.status).toBe(200);
    const e = await usageEventOf<{ promptVersionId: string; promptIncludes: unknown }>(sql, r.body.id);
    const parentV1 = await db.promptVersion.findFirstOrThrow({ where: { version: 1, prompt: { name: n("parent") } } });
    expect(e.promptVersionId).toBe(parentV1.id);
    expect(e.promptIncludes).toEqual([{ prompt: n("tone"), version: 1, label: "production" }]);
    // A prompt without includes records none.
    const plain = await complete(b, { prompt: n("tone"), variables: { who: "Cy" } });
    expect((await usageEventOf<{ promptIncludes: unknown }>(sql, plain.body.id)).promptIncludes).toBeNull();
  });

  it("issue 20 §2 done-when: a label move on the included prompt through instance A is served by instance B within 1 s", async () => {
    // Both instances have the composition cached.
    for (const app of [a, b]) expect((await complete(app, { prompt: n("parent"), variables: { q: "Q", who: "Di" } })).body.includes![0]!.version).toBe(1);
    const delays: number[] = [];
    for (const target of [2, 1, 2]) {
      const moved = await fetch(`${a.url}/api/admin/prompts/${n("tone")}/labels/production`, {
        method: "PUT", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ version: target }),
      });
      expect(moved.status).toBe(200);
      const t0 = performance.now();
      for (;;) {
        const r = await complete(b, { prompt: n("parent"), variables: { q: "Q", who: "Di" } });
        if (r.body.includes?.[0]?.version === target) {
          expect(lastMessages()[0]!.content).toBe(`You help. Be ${target === 2 ? "thorough" : "brief"}, Di.`);
          break;
        }
        if (performance.now() - t0 > 3000) throw new Error(`instance B still serves the old include after 3 s`);
        await new Promise((r) => setTimeout(r, 10));
      }
      delays.push(performance.now() - t0);
    }
    process.stdout.write(`included label move visible on the second instance after ${delays.map((d) => d.toFixed(0)).join(", ")} ms\n`);
    expect(Math.max(...delays)).toBeLessThan(1000);
    await moveLabel(system, n("tone"), "production", { version: 1 });
  });

  it("issue 20 §2: GET /api/prompts/:name serves the template with its includes inlined; its ETag changes when an included label moves", async () => {
    const get = (etag?: string) =>
      fetch(`${a.url}/api/prompts/${n("parent")}`, { headers: { authorization: `Bearer ${key}`, ...(etag ? { "if-none-match": etag } : {}) } });
    type Template = { messages: { content: string }[]; variables: { name: string }[]; includes: unknown };
    // The previous test's last move (back to version 1) reaches this instance within milliseconds.
    let first: Response;
    let body: Template;
    const t0 = Date.now();
    do {
      first = await get();
      body = (await first.json()) as Template;
    } while (!body.messages[0]!.content.includes("brief") && Date.now() - t0 < 3000);
    expect(body.messages[0]!.content).toBe("You help. Be brief, {{who}}.");
    expect(body.variables.map((v) => v.name)).toEqual(["q", "who"]);
    expect(body.includes).toEqual([{ prompt: n("tone"), version: 1, label: "production" }]);
    const etag = first.headers.get("etag")!;
    expect((await get(etag)).status).toBe(304);
    await moveLabel(system, n("tone"), "production", { version: 2 });
    try {
      const t0 = Date.now();
      let changed: Response;
      while ((changed = await get(etag)).status === 304 && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 20));
      expect(changed.status).toBe(200);
      expect(((await changed.json()) as { messages: { content: string }[] }).messages[0]!.content).toBe("You help. Be thorough, {{who}}.");
    } finally {
      await moveLabel(system, n("tone"), "production", { version: 1 });
    }
  });

  it("issue 20 §2: a version pin (#2) and a chat prompt standing for a whole message, streamed with includes in the first chunk", async () => {
    await createPrompt(system, { name: n("rules"), ...chat(["system", "Rule one."], ["system", "Rule two about {{topic}}."]), variables: [{ name: "topic" }] });
    await createPrompt(system, { name: n("pinned"), ...chat([`system`, `{{> ${n("rules")}@latest}}`], ["user", `{{> ${n("tone")}#2}} {{q}}`]), variables: [{ name: "q" }], labels: ["production"] });
    const r = await fetch(`${b.url}/api/completion`, {
      method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ prompt: n("pinned"), stream: true, variables: { q: "Go", who: "Ed", topic: "tea" } }),
    });
    expect(r.status).toBe(200);
    const first = JSON.parse((await r.text()).split("\n").find((l) => l.startsWith("data: {"))!.slice(6)) as Completion;
    expect(first.includes).toEqual([
      { prompt: n("rules"), version: 1, label: "latest" },
      { prompt: n("tone"), version: 2, label: null },
    ]);
    expect(lastMessages()).toEqual([
      { role: "system", content: "Rule one." },
      { role: "system", content: "Rule two about tea." },
      { role: "user", content: "Be thorough, Ed. Go" },
    ]);
  });

  it("issue 20 §2: a chat prompt inside text, an unpinned include and a missing reference are refused at save time, naming the field", async () => {
    const inText = await refusal(createPrompt(system, { name: n("bad1"), ...chat(["user", `Intro {{> ${n("rules")}@latest}}`]) }));
    expect(inText.status).toBe(400);
    expect(inText.details.param).toBe("messages.0.content");
    expect(inText.message).toContain("is a chat prompt; a chat prompt can only be included as a whole message");
    const intoText = await refusal(createPrompt(system, { name: n("bad2"), ...text(`{{> ${n("rules")}@latest}}`) }));
    expect(intoText.message).toContain("is a chat prompt");
    const unpinned = await refusal(createPrompt(system, { name: n("bad3"), ...text(`Hi {{> ${n("tone")}}}`) }));
    expect(unpinned.status).toBe(400);
    expect(unpinned.message).toContain("{{> name@label}} or {{> name#3}}");
    const missing = await refusal(createPrompt(system, { name: n("bad4"), ...text(`{{> ${n("nowhere")}@production}}`) }));
    expect(missing.status).toBe(400);
    expect(missing.message).toBe(`{{> ${n("nowhere")}@production}} cannot be included: Prompt '${n("nowhere")}' not found`);
    const noLabel = await refusal(createPrompt(system, { name: n("bad5"), ...text(`{{> ${n("tone")}@nope}}`) }));
    expect(noLabel.message).toContain(`has no label 'nope'`);
  });

  it("issue 20 §2: a cycle is refused at save time and, when label moves close one later, at render time with a 400 naming it (a → b → a)", async () => {
    const [x, y] = [n("cx"), n("cy")];
    await createPrompt(system, { name: x, ...text("x alone"), labels: ["staging"] });
    await createPrompt(system, { name: y, ...text("y alone"), labels: ["production"] });
    // x v2 includes y; saving y so that it includes x (through x's latest, which is v2) closes the cycle: refused, naming it.
    await createPromptVersion(system, x, { ...text(`x then {{> ${y}@production}}`), commitMessage: "x2" });
    const saved = await refusal(createPromptVersion(system, y, { ...text(`y then {{> ${x}@latest}}`), commitMessage: "loop" }));
    expect(saved.status).toBe(400);
    expect(saved.message).toBe(`Prompt includes form a cycle: ${y} → ${x} → ${y}`);
    expect(saved.details.extra).toMatchObject({ code: "include_cycle" });
    expect(saved.details.param).toBe("text");
    // A self-include too.
    expect((await refusal(createPromptVersion(system, x, { ...text(`{{> ${x}@staging}}`), commitMessage: "self" }))).message).toBe(`Prompt includes form a cycle: ${x} → ${x}`);
    // What label moves do later is checked at render time: y v2 includes x@staging, which is x v1 (alone) when saved.
    await createPromptVersion(system, y, { ...text(`y then {{> ${x}@staging}}`), commitMessage: "via staging", labels: ["production"] });
    expect((await complete(a, { prompt: y })).status).toBe(200);
    // Moving x's staging to v2 (which includes y@production) closes the cycle.
    await moveLabel(system, x, "staging", { version: 2 });
    for (const app of [a, b]) {
      const r = await completeUntil(app, { prompt: y }, 400);
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ type: "invalid_request_error", code: "include_cycle", message: `Prompt includes form a cycle: ${y} → ${x} → ${y}` });
    }
  });

  it("issue 20 §2: more than 5 levels of includes is a 400 naming the chain", async () => {
    const names = [0, 1, 2, 3, 4, 5, 6].map((i) => n(`d${i}`));
    await createPrompt(system, { name: names[6]!, ...text("bottom"), labels: ["production"] });
    for (let i = 5; i >= 1; i--) await createPrompt(system, { name: names[i]!, ...text(`{{> ${names[i + 1]}@production}}`), labels: ["production"] });
    // names[1] includes 5 levels below it (d2..d6): allowed.
    expect((await complete(a, { prompt: names[1]! })).status).toBe(200);
    const deep = await refusal(createPrompt(system, { name: names[0]!, ...text(`{{> ${names[1]}@production}}`), labels: ["production"] }));
    expect(deep.status).toBe(400);
    expect(deep.message).toBe(`Prompt includes nest deeper than 5 levels: ${names.join(" → ")}`);
  });

  it("issue 20 §2: an included label deleted after the save is a 400 at render time (OpenAI envelope), never a 500", async () => {
    await createPrompt(system, { name: n("gone"), ...text("soon gone"), labels: ["staging"] });
    await createPrompt(system, { name: n("uses-gone"), ...text(`{{> ${n("gone")}@staging}}`), labels: ["production"] });
    expect((await complete(a, { prompt: n("uses-gone") })).status).toBe(200);
    await deleteLabel(system, n("gone"), "staging");
    for (const app of [a, b]) {
      const r = await completeUntil(app, { prompt: n("uses-gone") }, 400);
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ type: "invalid_request_error", code: "include_not_found", message: `{{> ${n("gone")}@staging}} cannot be included: Prompt '${n("gone")}' has no label 'staging'` });
    }
  });

  it("issue 20 §2: includes resolve within the caller's workspace only", async () => {
    const other = await createWorkspace(system, { name: "Compose B", slug: `co-b-${run}` });
    const inOther = { kind: "system", name: "test", workspaceId: other.id } as const;
    const secret = n("secret");
    await createPrompt(system, { name: secret, ...text("default workspace only"), labels: ["production"] });
    const e = await refusal(createPrompt(inOther, { name: n("thief"), ...text(`{{> ${secret}@production}}`) }));
    expect(e.status).toBe(400);
    expect(e.message).toContain(`Prompt '${secret}' not found`);
  });
});
