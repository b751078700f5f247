// The RBAC matrix (lib/auth/rbac-matrix.ts), checked entry by entry: every
// route and every console server action is called by an admin, an editor, a
// viewer, an anonymous visitor, a completions key and an admin key, over real
// HTTP against the production build. Server actions are invoked the way a
// forged request would: POST to a page with the action's id from the build's
// server-reference manifest, so the server's own check is what is tested.
// The protected-label rows are probed the same way against a fixture: a
// prompt whose production label is protected, with experiments on it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actionRules, actors, protectedLabelRules, routeRules, type ActionRule, type Actor, type ProtectedLabelFixture } from "@/lib/auth/rbac-matrix";
import { closeDb } from "@/lib/db";
import { createExperiment, stepExperiment } from "@/lib/experiments";
import { createPrompt, createPromptVersion } from "@/lib/prompts";
import { startApp, type AppServer } from "../../support/app-server";
import { authHeaders, fillPath, makeCallers, rawRequest, type Callers } from "../../support/callers";

type Manifest = { node: Record<string, { workers: Record<string, unknown>; filename?: string; exportedName?: string }> };

function pagePath(worker: string): string | null {
  // "app/(console)/keys/page" → "/keys"; dynamic pages are skipped when a static one exists.
  const p = worker.replace(/^app/, "").replace(/\/page$/, "").replace(/\/\([^)]+\)/g, "");
  return p === "" ? "/" : p;
}

describe("RBAC matrix over real HTTP", () => {
  let app: AppServer;
  let callers: Callers;
  let manifest: Manifest;
  const outcomes: string[] = [];

  beforeAll(async () => {
    app = await startApp();
    callers = await makeCallers(app.url, "rbac");
    manifest = JSON.parse(readFileSync(join(process.env.PROMPTGATE_DIST_DIR || ".next", "server/server-reference-manifest.json"), "utf8")) as Manifest;
  }, 600_000);

  afterAll(async () => {
    await app?.stop();
    await closeDb();
  });

  it("answers every route for every caller as the matrix says", async () => {
    const wrong: string[] = [];
    for (const rule of routeRules) {
      const path = fillPath(rule.path, rule.probe?.params) + (rule.probe?.query ? `?${rule.probe.query}` : "");
      for (const actor of actors) {
        const body = rule.probe?.body !== undefined ? JSON.stringify(rule.probe.body) : rule.method === "GET" || rule.method === "DELETE" ? undefined : "[]";
        const headers = { ...authHeaders(callers[actor]), ...(body !== undefined ? { "content-type": "application/json" } : {}) };
        const res = await rawRequest(app.url, rule.method, path, headers, body);
        const denied = res.status === 401 || res.status === 403;
        const expected = rule.allow.includes(actor) ? "allow" : "deny";
        const got = res.status >= 500 ? "error" : denied ? "deny" : "allow";
        outcomes.push(`${rule.method} ${rule.path} ${actor} ${res.status}`);
        if (got !== expected) wrong.push(`${rule.method} ${rule.path} as ${actor}: expected ${expected}, got ${res.status} ${res.text.slice(0, 160)}`);
      }
    }
    expect(wrong, wrong.join("\n")).toEqual([]);
  });

  /** Calls each action as each caller with its probe arguments; returns what went against the matrix. */
  async function probeActions(rules: (Omit<ActionRule, "args"> & { args?: unknown[] })[]): Promise<string[]> {
    const wrong: string[] = [];
    const unreachable: string[] = [];
    const byName = new Map(Object.entries(manifest.node).map(([id, e]) => [`${e.filename}#${e.exportedName}`, { id, e }]));
    for (const rule of rules) {
      const entry = byName.get(`${rule.file}#${rule.name}`);
      if (!entry) {
        // Next registers only actions some page imports: an unregistered one cannot be called by anyone.
        unreachable.push(`${rule.file}#${rule.name}`);
        for (const actor of actors) outcomes.push(`${rule.name} ${actor} unreachable`);
        continue;
      }
      const pages = Object.keys(entry.e.workers).map(pagePath).filter((p): p is string => !!p);
      const page = pages.find((p) => !p.includes("[")) ?? fillPath(pages[0]!);
      for (const actor of actors) {
        const res = await rawRequest(
          app.url,
          "POST",
          page,
          { ...authHeaders(callers[actor as Actor]), "next-action": entry.id, "content-type": "text/plain;charset=UTF-8", accept: "text/x-component", origin: app.url },
          JSON.stringify(rule.args ?? [null]),
        );
        // Signed-out callers never reach the action: the proxy sends them to sign in.
        const toLogin = res.status >= 300 && res.status < 400 && String(res.headers.location ?? "").includes("/login");
        const refused = /"code":"(forbidden|unauthorized)"/.test(res.text);
        const ran = res.status === 200 && /"ok":(true|false)/.test(res.text) && !refused;
        const got = toLogin || refused ? "deny" : ran ? "allow" : `unexpected ${res.status}`;
        const expected = rule.allow.includes(actor) ? "allow" : "deny";
        outcomes.push(`${rule.name} ${actor} ${got}`);
        if (got !== expected) wrong.push(`${rule.what}: ${rule.name} (${rule.file}) as ${actor}: expected ${expected}, got ${got}: ${res.text.slice(0, 200)}`);
      }
    }
    if (unreachable.length) console.log(`server actions no page registers (callable by nobody): ${unreachable.join(", ")}`);
    return wrong;
  }

  it("runs every console server action only for the roles the matrix allows", async () => {
    const wrong = await probeActions(actionRules);
    expect(wrong, wrong.join("\n")).toEqual([]);
  });

  it("security #13.1: on a protected label, runs each action only for the roles protectedLabelRules allows", async () => {
    const system = { kind: "system", name: "rbac" } as const;
    const prompt = `rbac-protected-${Date.now().toString(36)}`;
    const content = { type: "chat", messages: [{ role: "user", content: "hi" }], config: { model: "sim-small" } };
    await createPrompt(system, { name: prompt, commitMessage: "v1", labels: ["production"], ...content });
    await createPromptVersion(system, prompt, { commitMessage: "v2", ...content });
    const variants = [{ name: "A", version: 1, weight: 1 }, { name: "B", version: 2, weight: 1 }];
    const running = await createExperiment(system, { name: `${prompt}-running`, prompt, variants });
    await stepExperiment(system, running.id, "start");
    const draft = await createExperiment(system, { name: `${prompt}-draft`, prompt, variants });
    const fixture: ProtectedLabelFixture = { prompt, label: "production", running: running.id, draft: draft.id };
    const wrong = await probeActions(protectedLabelRules.map((r) => ({ ...r, args: r.args(fixture) })));
    expect(wrong, wrong.join("\n")).toEqual([]);
  });

  it("made one call per matrix cell", () => {
    expect(outcomes).toHaveLength((routeRules.length + actionRules.length + protectedLabelRules.length) * actors.length);
  });
});
