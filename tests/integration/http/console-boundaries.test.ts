// The console's typed boundaries, over real HTTP against the production build:
// reads go through GET routes (a draft's preview and diff through POST routes
// that change nothing), with the `{error:{code,message,param}}` envelope; writes
// go through server actions that parse their input once, at the edge, with the
// domain's schema, so a bad field is named as the form knows it.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "@/lib/accounts";
import { closeDb } from "@/lib/db";
import { createPrompt, createPromptVersion } from "@/lib/prompts";
import { startApp, type AppServer } from "../../support/app-server";
import { eventually } from "../../support/eventually";
import { callServerAction } from "../../support/server-actions";
import { makeCallers, type Callers } from "../../support/callers";

const system = { kind: "system", name: "console-boundaries" } as const;
const run = randomBytes(3).toString("hex");
const PROMPT = `boundaries-${run}`;
const content = (text: string) => ({ type: "chat" as const, messages: [{ role: "user" as const, content: text }], config: { model: "sim-small" } });
const MISSING_ID = "00000000-0000-4000-8000-000000000000";

describe("console boundaries", () => {
  let app: AppServer;
  let callers: Callers;
  let accountId: string;

  beforeAll(async () => {
    app = await startApp();
    callers = await makeCallers(app.url, "boundaries");
    await createPrompt(system, { name: PROMPT, commitMessage: "v1", ...content("Hello there") });
    await createPromptVersion(system, PROMPT, { commitMessage: "v2", ...content("Hello world") });
    accountId = (await createAccount(system, { name: `boundaries-sim-${run}`, provider: "simulator", models: ["sim-*"] })).id;
  }, 600_000);

  afterAll(async () => {
    await app?.stop();
    await closeDb();
  });

  /** A request as the console page makes it: the session cookie, and for a POST the page's Origin and a JSON body. */
  async function read(as: "admin" | "editor" | "viewer", path: string, body?: unknown) {
    const headers: Record<string, string> = { cookie: callers[as].cookie!, accept: "application/json" };
    if (body !== undefined) Object.assign(headers, { origin: app.url, "content-type": "application/json" });
    const res = await fetch(new URL(path, app.url), { method: body === undefined ? "GET" : "POST", headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  }

  it("house: a viewer reads a prompt, a version and a diff of two versions through GET routes", async () => {
    const detail = await read("viewer", `/api/console/prompts/${PROMPT}`);
    expect(detail.status).toBe(200);
    expect(detail.json).toMatchObject({ name: PROMPT });
    expect(detail.json.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);

    const version = await read("viewer", `/api/console/prompts/${PROMPT}/versions/1`);
    expect(version.status).toBe(200);
    expect(version.json).toMatchObject({ version: 1, messages: [{ role: "user", content: "Hello there" }] });

    const diff = await read("viewer", `/api/console/prompts/${PROMPT}/diff?from=1&to=2`);
    expect(diff.status).toBe(200);
    expect(diff.json).toMatchObject({ from: 1, to: 2 });
    expect(JSON.stringify(diff.json.messages)).toContain("world");
  });

  it("house: a read that fails answers the console envelope naming the field, or 404", async () => {
    const missing = await read("viewer", `/api/console/prompts/no-such-${run}`);
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatchObject({ code: "not_found" });
    const badVersion = await read("viewer", `/api/console/prompts/${PROMPT}/versions/zero`);
    expect(badVersion.status).toBe(400);
    expect(badVersion.json.error).toMatchObject({ code: "validation_error", param: "version" });
    const badDiff = await read("viewer", `/api/console/prompts/${PROMPT}/diff?from=1`);
    expect(badDiff.status).toBe(400);
    expect(badDiff.json.error).toMatchObject({ code: "validation_error", param: "to" });
  });

  it("house: a viewer previews a draft and diffs it against a version through POST routes that change nothing", async () => {
    const preview = await read("viewer", "/api/console/preview", { draft: content("Hi {{who}}"), values: { who: "Ann" } });
    expect(preview.status).toBe(200);
    expect(preview.json).toMatchObject({ ok: true, messages: [{ role: "user", content: "Hi Ann" }] });
    // A draft with problems is a preview that says so, as the editor shows it: not a failed request.
    const broken = await read("viewer", "/api/console/preview", { draft: { type: "chat", messages: [] }, values: {} });
    expect(broken.status).toBe(200);
    expect(broken.json).toMatchObject({ ok: false, error: { param: "messages" } });

    const draftDiff = await read("viewer", `/api/console/prompts/${PROMPT}/diff`, { against: 2, draft: content("Hello draft") });
    expect(draftDiff.status).toBe(200);
    expect(draftDiff.json).toMatchObject({ from: 2, to: "draft" });
    expect(JSON.stringify(draftDiff.json.messages)).toContain("draft");
  });

  it("house: every signed-in user reads account health through GET routes", async () => {
    const report = await read("viewer", "/api/console/accounts/health");
    expect(report.status).toBe(200);
    expect(report.json.accounts.some((a: { id: string }) => a.id === accountId)).toBe(true);
    const detail = await read("viewer", `/api/console/accounts/${accountId}/health`);
    expect(detail.status).toBe(200);
    expect(detail.json.account).toMatchObject({ id: accountId });
    const missing = await read("viewer", `/api/console/accounts/${MISSING_ID}/health`);
    expect(missing.status).toBe(404);
  });

  it("house: an editor reads a playground run's recorded numbers through a GET route", async () => {
    const res = await fetch(new URL("/api/console/playground", app.url), {
      method: "POST",
      headers: { cookie: callers.editor.cookie!, origin: app.url, "content-type": "application/json" },
      body: JSON.stringify({ prompt: PROMPT, version: 2, accountId, model: "sim-small" }),
    });
    expect(res.status).toBe(200);
    const completionId = /chatcmpl-[\w-]+/.exec(await res.text())?.[0];
    expect(completionId).toBeTruthy();
    const recorded = await eventually(async () => {
      const r = await read("editor", `/api/console/playground/runs/${completionId}`);
      expect(r.status).toBe(200);
      return r.json as { status: string; outputTokens: number } | null;
    }, 15_000, "the playground run's usage event");
    expect(recorded).toMatchObject({ status: "ok" });
    expect(recorded.outputTokens).toBeGreaterThan(0);
    // Not a playground completion id at all: refused before any lookup.
    const bad = await read("editor", "/api/console/playground/runs/not-a-completion");
    expect(bad).toMatchObject({ status: 400, json: { error: { code: "validation_error" } } });
  });

  it("house: an action parses its input at the edge with the domain's schema, naming the field as the form does", async () => {
    const as = (file: string, name: string, input: unknown) => callServerAction(app.url, callers.admin.cookie!, `app/(console)/${file}/actions.ts`, name, [input]);
    // Update forms send the record's id beside the changed fields: a bad field is named as the form names it.
    expect(await as("accounts", "updateAccountAction", { id: MISSING_ID, weight: -1 })).toMatchObject({ ok: false, error: { code: "validation_error", param: "weight" } });
    expect(await as("quotas", "updateQuotaPolicyAction", { id: MISSING_ID, name: "" })).toMatchObject({ ok: false, error: { code: "validation_error", param: "name" } });
    expect(await as("prompts", "updatePromptAction", { name: PROMPT, tags: ["two words"] })).toMatchObject({ ok: false, error: { code: "validation_error", param: "tags.0" } });
    expect(await as("keys", "updateKeyFiltersAction", { id: MISSING_ID, replacement: "**" })).toMatchObject({ ok: false, error: { code: "validation_error", param: "replacement" } });
    expect(await as("prompts", "saveVersionAction", { name: PROMPT, type: "chat", messages: [], commitMessage: "empty" })).toMatchObject({
      ok: false, error: { code: "validation_error", param: "messages" },
    });
    // An id that is no id is refused before it reaches a uuid column.
    expect(await as("keys", "revokeApiKeyAction", "not-an-id")).toMatchObject({ ok: false, error: { code: "validation_error" } });
    // The role comes first: a viewer learns nothing about the input rules.
    const viewer = await callServerAction(app.url, callers.viewer.cookie!, "app/(console)/users/actions.ts", "createUserAction", [{ email: "nope" }]);
    expect(viewer).toMatchObject({ ok: false, error: { code: "forbidden" } });
    // A valid update still lands.
    expect(await as("prompts", "updatePromptAction", { name: PROMPT, description: "Edited at the edge", tags: ["edge"] })).toMatchObject({ ok: true });
    expect((await read("viewer", `/api/console/prompts/${PROMPT}`)).json).toMatchObject({ description: "Edited at the edge", tags: ["edge"] });
  });
});
