// The evaluation gate on a protected label (issue 20 §3 optional gate, "Done when: a gate blocks moving
// production to a version whose run failed, and allows it after a passing run"). The management API
// shows why a move is refused. Real route handlers, real Postgres, real fake upstreams.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "@/lib/accounts";
import { createApiKey } from "@/lib/auth/api-keys";
import type { Principal } from "@/lib/core";
import { closeDb, db } from "@/lib/db";
import { createDataset, installEvaluationGate, startRun, workDueRuns } from "@/lib/evals";
import { createPrompt, createPromptVersion } from "@/lib/prompts";
import { createWorkspace } from "@/lib/workspaces";
import * as gatesRoute from "@/app/api/admin/evaluations/gates/route";
import * as gateRoute from "@/app/api/admin/evaluations/gates/[id]/route";
import * as labelRoute from "@/app/api/admin/prompts/[name]/labels/[label]/route";
import * as versionsRoute from "@/app/api/admin/prompts/[name]/versions/route";
import { call } from "../../support/http";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";

const run = Date.now().toString(36);
const WRONG = `gate-wrong-${run}`;
const RIGHT = `gate-right-${run}`;
const PROMPT = `gated-${run}`;

const content = (model: string) => ({
  type: "chat",
  messages: [{ role: "user", content: "Capital of {{country}}?" }],
  variables: [{ name: "country", type: "string", required: true }],
  config: { model },
});

describe("evaluation gate on a protected label", () => {
  const fakes: FakeUpstream[] = [];
  const accounts: string[] = [];
  let ws = "";
  let as: Principal;
  let key: Record<string, string> = {};
  let datasetId = "";
  let gateId = "";

  const move = (version: number) => call(labelRoute.PUT, { method: "PUT", path: "/x", headers: key, params: { name: PROMPT, label: "production" }, body: { version } });
  const evaluate = async (version: number) => {
    await startRun(as, { datasetId, prompt: PROMPT, version, scorers: [{ type: "exact" }] });
    await workDueRuns();
  };

  beforeAll(async () => {
    installEvaluationGate();
    const root = { kind: "system", name: "test" } as const;
    for (const [model, answer] of [[WRONG, "Lyon"], [RIGHT, "Paris"]] as const) {
      const f = await startFakeUpstream({ defaultBehaviour: { content: answer } });
      fakes.push(f);
      accounts.push((await createAccount(root, { name: `${model}`, provider: "openai", baseUrl: f.openaiBaseUrl, apiKey: "sk-gate-upstream-0001", models: [model] })).id);
    }
    ws = (await createWorkspace(root, { name: "Gate", slug: `gate-${run}` })).id;
    as = { kind: "system", name: "test", workspaceId: ws };
    key = { authorization: `Bearer ${(await createApiKey(as, { name: `gate-admin-${run}`, scopes: ["admin"] })).key}` };
    await createPrompt(as, { name: PROMPT, commitMessage: "v1", labels: ["production"], ...content(WRONG) });
    await createPromptVersion(as, PROMPT, { commitMessage: "v2", ...content(RIGHT) });
    await createPromptVersion(as, PROMPT, { commitMessage: "v3", ...content(WRONG) });
    datasetId = (await createDataset(as, { name: `gate-${run}`, rows: Array.from({ length: 10 }, (_, i) => ({ variables: { country: `France ${i}` }, expected: "Paris" })) })).id;
  });

  afterAll(async () => {
    await db.dataset.deleteMany({ where: { workspaceId: ws } });
    await db.providerAccount.deleteMany({ where: { id: { in: accounts } } });
    for (const f of fakes) await f.close();
    await closeDb();
  });

  it("issue 20 §3 gate: setting a gate is audited and listed", async () => {
    const set = await call(gatesRoute.PUT, { method: "PUT", path: "/x", headers: key, body: { prompt: PROMPT, label: "production", datasetId, scorer: "exact", minScore: 0.8, noRegression: true } });
    expect(set.status).toBe(200);
    gateId = set.json.id;
    expect((await call(gatesRoute.GET, { path: "/x", headers: key })).json.data).toMatchObject([{ prompt: PROMPT, label: "production", scorer: "exact", minScore: 0.8, noRegression: true }]);
  });

  it("issue 20 done-when: the gate refuses a version with no run, then one whose run failed, and says why", async () => {
    const none = await move(2);
    expect(none.status).toBe(409);
    expect(none.json.error.message).toMatch(/version 2 has no completed run on it yet/);
    await evaluate(3);
    const failed = await move(3);
    expect(failed.status).toBe(409);
    expect(failed.json.error.message).toMatch(/version 3 had a pass rate of 0\.0% on 'exact' in run .*; the gate needs at least 80\.0%/);
    // Setting the label at save time is gated too.
    const saved = await call(versionsRoute.POST, { method: "POST", path: "/x", headers: key, params: { name: PROMPT }, body: { commitMessage: "v4", labels: ["production"], ...content(RIGHT) } });
    expect(saved.status).toBe(409);
    expect((await db.promptLabel.findFirstOrThrow({ where: { name: "production", prompt: { name: PROMPT, workspaceId: ws } }, include: { version: true } })).version.version).toBe(1);
  });

  it("issue 20 done-when: with noRegression the version production serves now needs a run too; after passing runs the move is allowed", async () => {
    await evaluate(2);
    const noBaseline = await move(2);
    expect(noBaseline.status).toBe(409);
    expect(noBaseline.json.error.message).toMatch(/run the version 'production' serves now \(version 1\)/);
    await evaluate(1);
    const ok = await move(2);
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ name: "production", version: 2 });
  });

  it("issue 20 §3 gate: a regression against the current version is refused even above the threshold", async () => {
    await call(gatesRoute.PUT, { method: "PUT", path: "/x", headers: key, body: { prompt: PROMPT, label: "production", datasetId, scorer: "exact", minScore: 0, noRegression: true } });
    // v3 answers Lyon: 10 losses against v2 (production now), McNemar p = 0.002.
    const worse = await move(3);
    expect(worse.status).toBe(409);
    expect(worse.json.error.message).toMatch(/no regression: version 3 is worse than version 2 on exact pass rate/);
  });

  it("issue 20 §3 gate: another workspace's admin cannot remove the gate (404); its admin can (204), and moves are free again", async () => {
    const other = await createWorkspace({ kind: "system", name: "test" }, { name: "Other", slug: `gate-other-${run}` });
    const otherKey = { authorization: `Bearer ${(await createApiKey({ kind: "system", name: "test", workspaceId: other.id }, { name: `gate-other-${run}`, scopes: ["admin"] })).key}` };
    expect((await call(gateRoute.DELETE, { method: "DELETE", path: "/x", headers: otherKey, params: { id: gateId } })).status).toBe(404);
    expect((await call(gateRoute.DELETE, { method: "DELETE", path: "/x", headers: key, params: { id: gateId } })).status).toBe(204);
    expect((await move(3)).status).toBe(200);
  });
});
