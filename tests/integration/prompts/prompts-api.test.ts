// Prompt templates through their real route handlers and domain against the
// test database: versions, concurrency, labels and their protection, the
// completion endpoint (with a fake upstream), the template endpoint with ETags,
// global variables, and every error case.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAccount } from "@/lib/accounts";
import { createApiKey } from "@/lib/auth/api-keys";
import type { Principal } from "@/lib/core";
import { closeDb, db } from "@/lib/db";
import { createPrompt, createPromptVersion, deleteLabel, moveLabel, resolvePrompt, updatePrompt } from "@/lib/prompts";
import * as completionRoute from "@/app/api/completion/route";
import * as templateRoute from "@/app/api/prompts/[name]/route";
import * as promptsRoute from "@/app/api/admin/prompts/route";
import * as promptRoute from "@/app/api/admin/prompts/[name]/route";
import * as versionsRoute from "@/app/api/admin/prompts/[name]/versions/route";
import * as versionRoute from "@/app/api/admin/prompts/[name]/versions/[version]/route";
import * as labelRoute from "@/app/api/admin/prompts/[name]/labels/[label]/route";
import * as diffRoute from "@/app/api/admin/prompts/[name]/diff/route";
import * as globalsRoute from "@/app/api/admin/prompts/globals/route";
import * as globalRoute from "@/app/api/admin/prompts/globals/[name]/route";
import { call } from "../../support/http";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { eventually } from "../../support/eventually";

const system = { kind: "system", name: "test" } as const;
const run = Date.now().toString(36);
const uniq = (name: string) => `${name}-${run}`;
const MODEL = `prompt-test-${run}`;

const user = (role: "admin" | "editor" | "viewer"): Principal => ({
  kind: "user",
  user: { id: randomUUID(), email: `${role}-${run}@prompts.test`, name: role, role },
});
const editor = user("editor");
const admin = user("admin");

const chatContent = (system: string, extra: Record<string, unknown> = {}) => ({
  type: "chat",
  messages: [{ role: "system", content: system }, { role: "user", content: "{{question}}" }],
  variables: [
    { name: "question", type: "string", required: true },
    { name: "tone", type: "enum", values: ["friendly", "formal"], required: false, default: "friendly" },
    { name: "n", type: "number", required: false },
  ],
  config: { model: MODEL, temperature: 0.5, max_tokens: 50 },
  ...extra,
});

describe("prompt templates", () => {
  let fake: FakeUpstream;
  let adminAuth: Record<string, string>;
  let keyAuth: Record<string, string>;
  let keyId: string;
  let plainAuth: Record<string, string>;

  const completion = (body: unknown, headers = keyAuth) => call(completionRoute.POST, { method: "POST", path: "/api/completion", headers, body });
  const template = (name: string, query = "", headers: Record<string, string> = keyAuth) =>
    call(templateRoute.GET, { path: `/api/prompts/${name}${query}`, headers, params: { name } });
  const saveVersion = (name: string, body: unknown, headers = adminAuth) =>
    call(versionsRoute.POST, { method: "POST", path: `/api/admin/prompts/${name}/versions`, headers, params: { name }, body });
  const move = (name: string, label: string, version: unknown, headers = adminAuth) =>
    call(labelRoute.PUT, { method: "PUT", path: `/api/admin/prompts/${name}/labels/${label}`, headers, params: { name, label }, body: { version } });

  const usageOf = (completionId: string) => eventually(() => db.usageEvent.findUnique({ where: { completionId } }), 10_000, `a usage event for ${completionId}`);

  beforeAll(async () => {
    fake = await startFakeUpstream();
    await createAccount(system, { name: uniq("prompts-fake"), provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-prompts-upstream-0001", models: ["prompt-test-*"] });
    adminAuth = { authorization: `Bearer ${(await createApiKey(system, { name: uniq("prompts-admin"), scopes: ["admin"] })).key}` };
    const k = await createApiKey(system, { name: uniq("prompts-app"), scopes: ["completions"] });
    keyAuth = { authorization: `Bearer ${k.key}` };
    keyId = k.row.id;
    plainAuth = { authorization: `Bearer ${(await createApiKey(system, { name: uniq("prompts-modelonly"), scopes: ["model:other-*"] })).key}` };
  });

  afterAll(async () => {
    await db.providerAccount.deleteMany({ where: { name: { endsWith: `-${run}` } } });
    await fake?.close();
    await closeDb();
  });

  beforeEach(() => fake.reset());

  describe("versions", () => {
    const name = uniq("greeter");

    it("creates a prompt with version 1 labelled latest, and refuses a second prompt of the same name with 409", async () => {
      const r = await call(promptsRoute.POST, { method: "POST", path: "/api/admin/prompts", headers: adminAuth, body: { name, description: "Greets", tags: ["demo"], ...chatContent("Be {{tone}}.") } });
      expect(r.status).toBe(201);
      expect(r.json).toMatchObject({ name, version: 1, labels: ["latest"], commitMessage: "Initial version", authorEmail: expect.stringMatching(/^apikey:/) });
      const dup = await call(promptsRoute.POST, { method: "POST", path: "/api/admin/prompts", headers: adminAuth, body: { name, ...chatContent("x") } });
      expect(dup.status).toBe(409);
      expect(dup.json.error.message).toBe(`A prompt named '${name}' already exists`);
    });

    it("saves a new version on top of the one the draft started from, and moves latest", async () => {
      const r = await saveVersion(name, { ...chatContent("Be {{tone}} and brief."), commitMessage: "Shorter", baseVersion: 1 });
      expect(r.status).toBe(201);
      expect(r.json).toMatchObject({ version: 2, labels: ["latest"], commitMessage: "Shorter" });
      const detail = await call(promptRoute.GET, { path: `/api/admin/prompts/${name}`, headers: adminAuth, params: { name } });
      expect(detail.json.versions.map((v: { version: number; labels: string[] }) => [v.version, v.labels])).toEqual([[2, ["latest"]], [1, []]]);
    });

    it("refuses with 409 a save whose draft started from an older version, and saves nothing", async () => {
      const r = await saveVersion(name, { ...chatContent("Stale edit"), commitMessage: "Stale", baseVersion: 1 });
      expect(r.status).toBe(409);
      expect(r.json.error.message).toMatch(/^Version 2 was saved by apikey:\S+ after version 1, which your draft started from/);
      expect(await db.promptVersion.count({ where: { prompt: { name } } })).toBe(2);
    });

    it("gives concurrent saves consecutive numbers with no gap and no duplicate", async () => {
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => saveVersion(name, { ...chatContent(`Parallel ${i}`), commitMessage: `parallel ${i}` })),
      );
      expect(results.map((r) => r.status)).toEqual(Array(12).fill(201));
      const numbers = results.map((r) => r.json.version as number).sort((a, b) => a - b);
      expect(numbers).toEqual(Array.from({ length: 12 }, (_, i) => i + 3));
      // Each version holds the content of the request that got its number: no write was lost or mixed up.
      for (const r of results) {
        const row = await db.promptVersion.findFirstOrThrow({ where: { prompt: { name }, version: r.json.version } });
        expect(row.commitMessage).toBe(r.json.commitMessage);
        expect((row.messages as { content: string }[])[0]!.content).toBe(`Parallel ${r.json.commitMessage.split(" ")[1]}`);
      }
    });

    it("lets exactly one of several concurrent saves from the same base win; the others get 409", async () => {
      const latest = 14;
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => saveVersion(name, { ...chatContent(`Race ${i}`), commitMessage: `race ${i}`, baseVersion: latest })),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
      const versions = (await db.promptVersion.findMany({ where: { prompt: { name } }, select: { version: true }, orderBy: { version: "asc" } })).map((v) => v.version);
      expect(versions).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    });

    it("returns one version in full and the word diff of two versions", async () => {
      const v = await call(versionRoute.GET, { path: `/api/admin/prompts/${name}/versions/2`, headers: adminAuth, params: { name, version: "2" } });
      expect(v.status).toBe(200);
      expect(v.json).toMatchObject({ version: 2, type: "chat", config: { model: MODEL }, variables: [{ name: "question" }, { name: "tone" }, { name: "n" }] });
      const d = await call(diffRoute.GET, { path: `/api/admin/prompts/${name}/diff?from=1&to=2`, headers: adminAuth, params: { name } });
      expect(d.status).toBe(200);
      expect(d.json.messages[0].parts.filter((p: { added?: boolean }) => p.added).map((p: { value: string }) => p.value.trim())).toEqual(["and brief"]);
      expect(d.json.messages[1].status).toBe("unchanged");
    });

    it("validates content: syntax errors, unknown helpers, bad variables and config, each naming the field", async () => {
      const cases: [unknown, string, RegExp][] = [
        [{ ...chatContent("{{#if x}}unclosed"), commitMessage: "x" }, "messages.0.content", /Message 1 is not a valid template/],
        [{ ...chatContent("{{shout question}}"), commitMessage: "x" }, "messages.0.content", /unknown helper shout/],
        [{ ...chatContent("x"), commitMessage: "" }, "commitMessage", /is required/],
        [{ ...chatContent("x", { variables: [{ name: "1bad" }] }), commitMessage: "x" }, "variables.0.name", /must start with a letter/],
        [{ ...chatContent("x", { config: { model: MODEL, temperature: 3 } }), commitMessage: "x" }, "config.temperature", /./],
        [{ ...chatContent("x", { config: { model: MODEL, extra: { stream: true } } }), commitMessage: "x" }, "config.extra.stream", /cannot be set/],
        [{ ...chatContent("x", { messages: [] }), commitMessage: "x" }, "messages", /at least one message/],
        [{ ...chatContent("x"), commitMessage: "x", labels: ["latest"] }, "label", /moves by itself/],
      ];
      for (const [body, param, message] of cases) {
        const r = await saveVersion(name, body);
        expect(r.status, param).toBe(400);
        expect(r.json.error.param, JSON.stringify(r.json)).toBe(param);
        expect(r.json.error.message).toMatch(message);
      }
      const bad = await call(promptsRoute.POST, { method: "POST", path: "/api/admin/prompts", headers: adminAuth, body: { name: "Not A Slug", ...chatContent("x") } });
      expect([bad.status, bad.json.error.param]).toEqual([400, "name"]);
      const reserved = await call(promptsRoute.POST, { method: "POST", path: "/api/admin/prompts", headers: adminAuth, body: { name: "new", ...chatContent("x") } });
      expect([reserved.status, reserved.json.error.message]).toEqual([400, "Invalid value for 'name': is reserved; choose another name"]);
    });

    it("answers 404 for an unknown prompt or version and 400 for a bad diff query", async () => {
      expect((await saveVersion(uniq("nope"), { ...chatContent("x"), commitMessage: "x" })).status).toBe(404);
      expect((await call(versionRoute.GET, { path: "/x", headers: adminAuth, params: { name, version: "99" } })).json.error.message).toBe(`Prompt '${name}' has no version 99`);
      expect((await call(promptRoute.GET, { path: "/x", headers: adminAuth, params: { name: uniq("nope") } })).status).toBe(404);
      const d = await call(diffRoute.GET, { path: `/api/admin/prompts/${name}/diff?from=1`, headers: adminAuth, params: { name } });
      expect([d.status, d.json.error.param]).toEqual([400, "to"]);
    });

    it("is closed to keys without the admin scope, and lists and searches prompts", async () => {
      expect((await call(promptsRoute.GET, { path: "/api/admin/prompts", headers: keyAuth })).status).toBe(403);
      const list = await call(promptsRoute.GET, { path: `/api/admin/prompts?q=${name}`, headers: adminAuth });
      expect(list.json.data).toEqual([expect.objectContaining({ name, latestVersion: 15, productionVersion: null, tags: ["demo"] })]);
      expect((await call(promptsRoute.GET, { path: `/api/admin/prompts?tag=no-such-tag-${run}`, headers: adminAuth })).json.data).toEqual([]);
    });
  });

  describe("labels", () => {
    const name = uniq("labelled");

    beforeAll(async () => {
      await createPrompt(system, { name, ...chatContent("v1 {{tone}}") });
      await createPromptVersion(system, name, { ...chatContent("v2 {{tone}}"), commitMessage: "v2" });
      await createPromptVersion(system, name, { ...chatContent("v3 {{tone}}"), commitMessage: "v3" });
    });

    it("lets only admins move a protected label (production by default)", async () => {
      await expect(moveLabel(editor, name, "production", { version: 2 })).rejects.toMatchObject({ status: 403, message: "'production' is a protected label: only admins may move it" });
      await expect(createPromptVersion(editor, name, { ...chatContent("v4"), commitMessage: "sneaky", labels: ["production"] })).rejects.toMatchObject({ status: 403 });
      expect(await db.promptVersion.count({ where: { prompt: { name } } })).toBe(3);
      expect(await moveLabel(admin, name, "production", { version: 2 })).toMatchObject({ name: "production", version: 2, protected: true });
      // An admin-scoped API key is an admin too.
      expect((await move(name, "production", 3)).status).toBe(200);
      expect((await resolvePrompt("00000000-0000-0000-0000-000000000001", name)).version.version).toBe(3);
    });

    it("lets editors move and delete unprotected labels, and admins protect more labels", async () => {
      expect(await moveLabel(editor, name, "staging", { version: 1 })).toMatchObject({ name: "staging", version: 1, protected: false });
      await expect(updatePrompt(editor, name, { protectedLabels: ["production", "staging"] })).rejects.toMatchObject({ status: 403 });
      await updatePrompt(admin, name, { protectedLabels: ["production", "staging"] });
      await expect(moveLabel(editor, name, "staging", { version: 2 })).rejects.toMatchObject({ status: 403 });
      await expect(deleteLabel(editor, name, "staging")).rejects.toMatchObject({ status: 403 });
      await moveLabel(editor, name, "canary", { version: 2 });
      await deleteLabel(editor, name, "canary");
      await expect(resolvePrompt("00000000-0000-0000-0000-000000000001", name, { label: "canary" })).rejects.toMatchObject({ status: 404 });
    });

    it("audits every label move with the version before and after", async () => {
      const entries = await db.auditLog.findMany({ where: { action: "prompt.label.move", after: { path: ["prompt"], equals: name } }, orderBy: { createdAt: "asc" } });
      const moves = entries.map((e) => [e.actorEmail, (e.after as { label: string }).label, (e.before as { version: number | null }).version, (e.after as { version: number }).version]);
      expect(moves).toEqual([
        [admin.kind === "user" ? admin.user.email : "", "production", null, 2],
        [expect.stringMatching(/^apikey:/), "production", 2, 3],
        [editor.kind === "user" ? editor.user.email : "", "staging", null, 1],
        [editor.kind === "user" ? editor.user.email : "", "canary", null, 2],
      ]);
    });

    it("refuses to move latest by hand, or to a version that does not exist", async () => {
      const latest = await move(name, "latest", 1);
      expect([latest.status, latest.json.error.message]).toEqual([400, "'latest' moves by itself on every save; it cannot be moved by hand"]);
      const missing = await move(name, "production", 42);
      expect([missing.status, missing.json.error.message]).toEqual([404, `Prompt '${name}' has no version 42`]);
      expect((await move(name, "Bad Label", 1)).status).toBe(400);
      expect((await move(name, "production", "two")).json.error.param).toBe("version");
      expect((await move(uniq("nope"), "production", 1)).status).toBe(404);
    });
  });

  describe("POST /api/completion", () => {
    const name = uniq("support");
    let v1: string;
    let v2: string;

    beforeAll(async () => {
      v1 = (await createPrompt(system, { name, ...chatContent("You answer in a {{tone}} way.") })).id;
      v2 = (await createPromptVersion(system, name, { ...chatContent("You answer in a {{tone}} way, v2."), commitMessage: "v2" })).id;
      await moveLabel(system, name, "production", { version: 1 });
      await moveLabel(system, name, "staging", { version: 2 });
    });

    it("completes the production version, in OpenAI's shape plus prompt, version and label, and records the version in usage", async () => {
      fake.enqueue({ content: "Happy to help!", promptTokens: 30, completionTokens: 4 });
      const r = await completion({ prompt: name, variables: { question: "Where is my order?" }, user: "customer-7", metadata: { ticket: "T-1" } });
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({
        object: "chat.completion",
        choices: [{ message: { role: "assistant", content: "Happy to help!" } }],
        usage: { prompt_tokens: 30, completion_tokens: 4 },
        prompt: name, version: 1, label: "production", metadata: { ticket: "T-1" },
      });
      expect(r.headers.get("x-promptgate-prompt-version")).toBe("1");
      const sent = fake.requests[0]!.body;
      expect(sent).toMatchObject({
        model: MODEL, temperature: 0.5, max_tokens: 50, user: "customer-7",
        messages: [{ role: "system", content: "You answer in a friendly way." }, { role: "user", content: "Where is my order?" }],
      });
      expect(sent).not.toHaveProperty("metadata");
      const u = await usageOf(r.json.id);
      expect(u).toMatchObject({ promptVersionId: v1, source: "completion", status: "ok", apiKeyId: keyId, endUser: "customer-7", inputTokens: 30, metadata: { ticket: "T-1" } });
    });

    it("selects by label or by version, and merges overrides over the version's config", async () => {
      fake.enqueue([{ content: "a" }, { content: "b" }]);
      const byLabel = await completion({ prompt: name, label: "staging", variables: { question: "q", tone: "formal" }, overrides: { temperature: 0.1, seed: 7 } });
      expect(byLabel.json).toMatchObject({ prompt: name, version: 2, label: "staging" });
      expect(fake.requests[0]!.body).toMatchObject({ temperature: 0.1, seed: 7, max_tokens: 50, messages: [{ content: "You answer in a formal way, v2." }, { content: "q" }] });
      const byVersion = await completion({ prompt: name, version: 2, variables: { question: "q" } });
      expect(byVersion.json).toMatchObject({ version: 2, label: null });
      expect((await usageOf(byVersion.json.id)).promptVersionId).toBe(v2);
    });

    it("streams in OpenAI's chunk shape, the first chunk carrying prompt, version and label", async () => {
      fake.enqueue({ content: "one two three", completionTokens: 3, chunkDelayMs: 2 });
      const r = await completion({ prompt: name, variables: { question: "q" }, stream: true });
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const frames = r.text.split("\n\n").filter(Boolean);
      expect(frames.at(-1)).toBe("data: [DONE]");
      const chunks = frames.slice(0, -1).map((f) => JSON.parse(f.slice(6)));
      expect(chunks[0]).toMatchObject({ object: "chat.completion.chunk", prompt: name, version: 1, label: "production" });
      expect(chunks[1]).not.toHaveProperty("prompt");
      expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("one two three");
      expect(await usageOf(chunks[0].id)).toMatchObject({ promptVersionId: v1, stream: true, source: "completion" });
    });

    it("uses global variables, which a request's variables override", async () => {
      const g = uniq("g").replace(/-/g, "_");
      await createPromptVersion(system, name, { ...chatContent(`Company: {{${g}}}`), commitMessage: "global" });
      const put = await call(globalsRoute.PUT, { method: "PUT", path: "/api/admin/prompts/globals", headers: adminAuth, body: { name: g, value: "Acme" } });
      expect(put.status).toBe(200);
      fake.enqueue([{ content: "x" }, { content: "y" }]);
      await completion({ prompt: name, label: "latest", variables: { question: "q" } });
      expect(fake.requests[0]!.body.messages[0].content).toBe("Company: Acme");
      await completion({ prompt: name, label: "latest", variables: { question: "q", [g]: "Initech" } });
      expect(fake.requests[1]!.body.messages[0].content).toBe("Company: Initech");
      const list = await call(globalsRoute.GET, { path: "/api/admin/prompts/globals", headers: adminAuth });
      expect(list.json.data).toContainEqual(expect.objectContaining({ name: g, value: "Acme" }));
      expect((await call(globalRoute.DELETE, { method: "DELETE", path: "/x", headers: adminAuth, params: { name: g } })).status).toBe(204);
      const after = await completion({ prompt: name, label: "latest", variables: { question: "q" } });
      expect([after.status, after.json.error.param]).toEqual([400, `variables.${g}`]);
    });

    it("answers every error in OpenAI's envelope, naming the field, without calling the upstream", async () => {
      const cases: [unknown, number, string | null, string][] = [
        [{ prompt: uniq("missing"), variables: {} }, 404, "prompt", `Prompt '${uniq("missing")}' not found`],
        [{ prompt: name, label: "nope", variables: { question: "q" } }, 404, "label", `Prompt '${name}' has no label 'nope'`],
        [{ prompt: name, version: 99, variables: { question: "q" } }, 404, "version", `Prompt '${name}' has no version 99`],
        [{ prompt: name, variables: {} }, 400, "variables.question", "Missing required variable 'question'"],
        [{ prompt: name, variables: { question: 42 } }, 400, "variables.question", "Variable 'question' must be a string, got number"],
        [{ prompt: name, variables: { question: "q", tone: "rude" } }, 400, "variables.tone", "Variable 'tone' must be one of friendly, formal, got 'rude'"],
        [{ prompt: name, variables: { question: "q", n: "3" } }, 400, "variables.n", "Variable 'n' must be a number, got string"],
        [{ prompt: name, label: "production", version: 1, variables: { question: "q" } }, 400, "version", "Invalid value for 'version': send either 'label' or 'version', not both"],
        [{ prompt: name, variabels: {} }, 400, null, "Unrecognized key: \"variabels\""],
        [{ variables: {} }, 400, "prompt", "Invalid value for 'prompt': is required: the prompt's name"],
        [{ prompt: name, variables: { question: "q" }, overrides: { messages: [] } }, 400, "overrides.messages", "Invalid value for 'overrides.messages': 'messages' cannot be overridden; it comes from the template or the request"],
        [{ prompt: name, variables: { question: "q" }, overrides: { temperature: 5 } }, 400, "overrides.temperature", "Invalid value for 'overrides.temperature': must be a number from 0 to 2"],
        [{ prompt: name, variables: { question: "q".repeat(300_000) } }, 400, "variables", "The rendered prompt is longer than the limit of 200000 characters"],
        [{ prompt: name, variables: { question: "q" }, overrides: { model: "no-such-model-anywhere" } }, 404, "model", "The model 'no-such-model-anywhere' does not exist or no enabled account serves it"],
      ];
      for (const [body, status, param, message] of cases) {
        const r = await completion(body);
        expect(r.status, message).toBe(status);
        expect(r.json.error, message).toMatchObject({ message, param });
      }
      expect(fake.requests).toHaveLength(0);
      const unknown = await completion({ prompt: uniq("missing") });
      expect(unknown.json.error).toMatchObject({ type: "not_found_error", code: "prompt_not_found" });
    });

    it("refuses callers without a valid key, or whose key may not use the version's model", async () => {
      const none = await completion({ prompt: name, variables: { question: "q" } }, {});
      expect([none.status, none.json.error.code]).toEqual([401, "invalid_api_key"]);
      const scoped = await completion({ prompt: name, variables: { question: "q" } }, plainAuth);
      expect([scoped.status, scoped.json.error.code]).toEqual([403, "model_not_allowed"]);
      const get = await call(completionRoute.GET, { path: "/api/completion" });
      expect(get.status).toBe(405);
    });

    it("fails with 400 when neither the version nor the request names a model", async () => {
      await createPromptVersion(system, name, { ...chatContent("no model", { config: {} }), commitMessage: "no model" });
      const r = await completion({ prompt: name, label: "latest", variables: { question: "q" } });
      expect([r.status, r.json.error.param]).toEqual([400, "overrides.model"]);
      fake.enqueue({ content: "ok" });
      const ok = await completion({ prompt: name, label: "latest", variables: { question: "q" }, overrides: { model: MODEL } });
      expect(ok.status).toBe(200);
    });
  });

  describe("GET /api/prompts/:name", () => {
    const name = uniq("self-render");

    beforeAll(async () => {
      await createPrompt(system, { name, ...chatContent("Hello {{tone}}"), labels: ["production"] });
      await createPromptVersion(system, name, { type: "text", text: "Plain {{question}}", variables: [{ name: "question" }], commitMessage: "text" });
    });

    it("returns the template and its variables with an ETag, and 304 when it has not changed", async () => {
      const r = await template(name);
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ name, version: 1, label: "production", type: "chat", messages: [{ role: "system", content: "Hello {{tone}}" }, { content: "{{question}}" }], config: { model: MODEL } });
      expect(r.json.variables.map((v: { name: string }) => v.name)).toEqual(["question", "tone", "n"]);
      const etag = r.headers.get("etag")!;
      expect(etag).toMatch(/^"[\w-]+"$/);
      const again = await template(name, "", { ...keyAuth, "if-none-match": etag });
      expect(again.status).toBe(304);
      expect(again.text).toBe("");
      expect((await template(name, "", { ...keyAuth, "if-none-match": '"other"' })).status).toBe(200);
    });

    it("changes the ETag when the label moves, and serves versions and text prompts", async () => {
      const before = (await template(name)).headers.get("etag")!;
      await moveLabel(system, name, "production", { version: 2 });
      const after = await template(name, "", { ...keyAuth, "if-none-match": before });
      expect(after.status).toBe(200);
      expect(after.json).toMatchObject({ version: 2, type: "text", text: "Plain {{question}}" });
      expect(after.json).not.toHaveProperty("messages");
      expect((await template(name, "?version=1")).json).toMatchObject({ version: 1, label: null });
      expect((await template(name, "?label=latest")).json).toMatchObject({ version: 2, label: "latest" });
    });

    it("answers 404 for an unknown prompt or label, 400 for a bad selector and 401 without a key", async () => {
      expect((await template(uniq("nope"))).status).toBe(404);
      expect((await template(name, "?label=nope")).json.error).toMatchObject({ code: "label_not_found", param: "label" });
      expect((await template(name, "?label=production&version=1")).status).toBe(400);
      expect((await template(name, "?version=zero")).status).toBe(400);
      expect((await template(name, "", {})).status).toBe(401);
    });
  });
});
