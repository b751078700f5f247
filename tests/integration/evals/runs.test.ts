// Datasets and evaluation runs (issue 20 §3, §5): uploads with per-row errors, versions, a run through
// the gateway (usage source=evaluation) with exact match and an LLM judge, cancel, the paired
// comparison of two prompt versions, and IDOR across workspaces. Real route handlers, real Postgres,
// real fake upstreams over HTTP; the runner's pass (workDueRuns) runs in this process.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAccount } from "@/lib/accounts";
import { createApiKey } from "@/lib/auth/api-keys";
import type { Principal } from "@/lib/core";
import { closeDb, db } from "@/lib/db";
import {
  addDatasetRows, compareEvalRuns, createDataset, deleteDataset, getDataset, getRun, runResults, runRows, startRun, workDueRuns,
} from "@/lib/evals";
import { createPrompt, createPromptVersion } from "@/lib/prompts";
import { createWorkspace } from "@/lib/workspaces";
import * as datasetsRoute from "@/app/api/admin/datasets/route";
import * as datasetRoute from "@/app/api/admin/datasets/[id]/route";
import * as uploadRoute from "@/app/api/admin/datasets/[id]/upload/route";
import * as rowsRoute from "@/app/api/admin/datasets/[id]/rows/route";
import * as runsRoute from "@/app/api/admin/evaluations/route";
import * as runRoute from "@/app/api/admin/evaluations/[id]/route";
import * as cancelRoute from "@/app/api/admin/evaluations/[id]/cancel/route";
import * as runRowsRoute from "@/app/api/admin/evaluations/[id]/rows/route";
import * as compareRoute from "@/app/api/admin/evaluations/compare/route";
import { call } from "../../support/http";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { eventually } from "../../support/eventually";

const run = Date.now().toString(36);
const WRONG = `eval-wrong-${run}`;
const RIGHT = `eval-right-${run}`;
const JUDGE = `eval-judge-${run}`;
const PROMPT = `capitals-${run}`;
const RUBRIC = `rubric-${run}`;

const content = (model: string) => ({
  type: "chat",
  messages: [{ role: "system", content: "Answer with the capital only." }, { role: "user", content: "Capital of {{country}}?" }],
  variables: [{ name: "country", type: "string", required: true }],
  config: { model, max_tokens: 20 },
});

describe("datasets and evaluation runs", () => {
  const fakes = { wrong: null as unknown as FakeUpstream, right: null as unknown as FakeUpstream, judge: null as unknown as FakeUpstream };
  const ws = { a: "", b: "" };
  const as = { a: null as unknown as Principal, b: null as unknown as Principal };
  const keyOf = { a: {} as Record<string, string>, b: {} as Record<string, string> };
  let datasetId = "";
  const accounts: string[] = [];

  beforeAll(async () => {
    const root = { kind: "system", name: "test" } as const;
    fakes.wrong = await startFakeUpstream({ defaultBehaviour: { content: "Lyon" } });
    fakes.right = await startFakeUpstream({ defaultBehaviour: { content: "Paris" } });
    fakes.judge = await startFakeUpstream({ defaultBehaviour: { content: '{"score": 4, "reasoning": "names a city"}' } });
    for (const [k, model] of [["wrong", WRONG], ["right", RIGHT], ["judge", JUDGE]] as const) {
      const a = await createAccount(root, { name: `eval-${k}-${run}`, provider: "openai", baseUrl: fakes[k].openaiBaseUrl, apiKey: "sk-eval-upstream-000001", models: [model] });
      accounts.push(a.id);
    }
    for (const k of ["a", "b"] as const) {
      ws[k] = (await createWorkspace(root, { name: `Evals ${k}`, slug: `evals-${k}-${run}` })).id;
      as[k] = { kind: "system", name: "test", workspaceId: ws[k] };
      keyOf[k] = { authorization: `Bearer ${(await createApiKey(as[k], { name: `evals-${k}-admin-${run}`, scopes: ["admin"] })).key}` };
    }
    await createPrompt(as.a, { name: PROMPT, commitMessage: "v1", labels: ["production"], ...content(WRONG) });
    await createPromptVersion(as.a, PROMPT, { commitMessage: "v2", ...content(RIGHT) });
    await createPrompt(as.a, {
      name: RUBRIC, commitMessage: "rubric", labels: ["production"], type: "chat",
      messages: [{ role: "system", content: "Score 1-5 how well the answer names the capital. Answer JSON {score, reasoning}." }, { role: "user", content: "Q: {{country}} A: {{output}} Expected: {{expected}}" }],
      variables: [{ name: "country", type: "string" }, { name: "output", type: "string" }, { name: "expected", type: "string" }],
      config: { model: JUDGE },
    });
  });

  afterAll(async () => {
    await db.dataset.deleteMany({ where: { workspaceId: { in: [ws.a, ws.b] } } });
    await db.providerAccount.deleteMany({ where: { id: { in: accounts } } });
    for (const f of Object.values(fakes)) await f?.close();
    await closeDb();
  });

  beforeEach(() => {
    for (const f of Object.values(fakes)) f.reset();
    fakes.wrong.setDefault({ content: "Lyon" });
    fakes.right.setDefault({ content: "Paris" });
    fakes.judge.setDefault({ content: '{"score": 4, "reasoning": "names a city"}' });
  });

  it("issue 20 §3: an upload with bad rows is refused as a whole, naming each bad row by its line; a good one makes version 1", async () => {
    const created = await call(datasetsRoute.POST, { method: "POST", path: "/api/admin/datasets", headers: keyOf.a, body: { name: `capitals-${run}` } });
    expect(created.status).toBe(201);
    datasetId = created.json.id;
    const bad = await call(uploadRoute.POST, {
      method: "POST", path: "/x", headers: keyOf.a, params: { id: datasetId },
      body: { format: "jsonl", content: ['{"variables": {"country": "France"}, "expected": "Paris"}', "{oops", '{"variables": 3}'].join("\n") },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.issues.map((i: { path: string }) => i.path)).toEqual(["line 2", "line 3"]);
    expect((await getDataset(as.a, datasetId)).latestVersion).toBeNull();

    const csv = ["country,expected", ...Array.from({ length: 20 }, (_, i) => `Country ${i},Paris`)].join("\n");
    const ok = await call(uploadRoute.POST, { method: "POST", path: "/x", headers: keyOf.a, params: { id: datasetId }, body: { format: "csv", content: csv } });
    expect(ok.status).toBe(201);
    expect(ok.json).toMatchObject({ version: 1, rowCount: 20, source: "upload" });
    const rows = await call(rowsRoute.GET, { path: "/x?version=1", headers: keyOf.a, params: { id: datasetId } });
    expect(rows.json.rows[3]).toEqual({ variables: { country: "Country 3" }, expected: "Paris", metadata: {} });
  });

  it("issue 20 §3: rows added by hand make a new version; earlier versions are unchanged", async () => {
    const scratch = await createDataset(as.a, { name: `scratch-${run}`, rows: [{ variables: { country: "Spain" }, expected: "Madrid" }] });
    expect(scratch).toMatchObject({ latestVersion: 1, rowCount: 1 });
    const v2 = await addDatasetRows(as.a, scratch.id, { rows: [{ variables: { country: "Italy" }, expected: "Rome" }] });
    expect(v2).toMatchObject({ version: 2, rowCount: 2, source: "manual" });
    const v1 = await call(rowsRoute.GET, { path: "/x?version=1", headers: keyOf.a, params: { id: scratch.id } });
    expect(v1.json.rowCount).toBe(1);
    await deleteDataset(as.a, scratch.id);
  });

  let runV1 = "";
  let runV2 = "";
  const scorers = [{ type: "exact" }, { type: "judge", prompt: RUBRIC, model: JUDGE, passAt: 4 }];

  it("issue 20 §3: a run goes through the gateway (usage source=evaluation), stores each row's output, scores, latency and the judge's reasoning", async () => {
    const started = await call(runsRoute.POST, { method: "POST", path: "/api/admin/evaluations", headers: keyOf.a, body: { datasetId, prompt: PROMPT, version: 1, scorers } });
    expect(started.status, started.text).toBe(202);
    runV1 = started.json.id;
    expect(started.json).toMatchObject({ status: "queued", prompt: PROMPT, promptVersion: 1, model: WRONG, progress: { total: 20, done: 0, remaining: 20 } });
    await workDueRuns();
    const r = await call(runRoute.GET, { path: "/x", headers: keyOf.a, params: { id: runV1 } });
    expect(r.json.run).toMatchObject({ status: "completed", progress: { total: 20, done: 20, failed: 0, remaining: 0 } });
    const [exact, judge] = r.json.aggregates.scorers;
    expect(exact).toMatchObject({ key: "exact", n: 20, estimate: { estimate: 0 } });
    expect(judge).toMatchObject({ key: "judge", n: 20, estimate: { estimate: 4 }, passRate: { estimate: 1 } });
    // 20 calls of the prompt, 20 of the judge: each row once.
    expect(fakes.wrong.requests).toHaveLength(20);
    expect(fakes.judge.requests).toHaveLength(20);
    expect(fakes.judge.requests[0]!.body.response_format).toMatchObject({ type: "json_schema" });
    expect(fakes.judge.requests[0]!.body.messages[1].content).toMatch(/A: Lyon Expected: Paris/);
    const rows = await runRows(as.a, runV1, { limit: 5 });
    expect(rows.total).toBe(20);
    expect(rows.rows[0]).toMatchObject({ index: 0, status: "done", output: "Lyon", expected: "Paris", scores: { exact: { score: 0 }, judge: { score: 4, reasoning: "names a city" } } });
    expect(rows.rows[0]!.latencyMs).toBeGreaterThanOrEqual(0);
    const usage = await eventually(async () => {
      const n = await db.usageEvent.count({ where: { source: "evaluation", workspaceId: ws.a, requestedModel: { in: [WRONG, JUDGE] } } });
      return n >= 40 ? n : null;
    }, 15_000, "40 usage events with source=evaluation");
    expect(usage).toBe(40);
  });

  it("issue 20 §3: comparing version 2 with version 1 on the same dataset version gives per-row wins and a paired verdict in words", async () => {
    runV2 = (await startRun(as.a, { datasetId, prompt: PROMPT, version: 2, scorers })).id;
    await workDueRuns();
    expect((await getRun(as.a, runV2)).status).toBe("completed");
    const c = await call(compareRoute.GET, { path: `/x?a=${runV1}&b=${runV2}`, headers: keyOf.a });
    expect(c.status).toBe(200);
    const exact = c.json.scorers.find((s: { key: string }) => s.key === "exact");
    expect(exact).toMatchObject({ pairs: 20, wins: 20, losses: 0, ties: 0, verdict: "better", test: { name: "McNemar (exact)" } });
    expect(exact.sentence).toMatch(new RegExp(`^${PROMPT} v2 is better than ${PROMPT} v1 on exact pass rate: \\+100\\.0%`));
    const judge = c.json.scorers.find((s: { key: string }) => s.key === "judge");
    expect(judge).toMatchObject({ wins: 0, losses: 0, ties: 20, verdict: "no significant difference" });
    expect(c.json.summary).toMatchObject({ wins: 20, losses: 0 });
  });

  it("issue 20 §3: runs on different dataset versions are not compared", async () => {
    await addDatasetRows(as.a, datasetId, { rows: [{ variables: { country: "Peru" }, expected: "Lima" }] });
    const other = await startRun(as.a, { datasetId, prompt: PROMPT, version: 2, scorers: [{ type: "exact" }] });
    await workDueRuns();
    await expect(compareEvalRuns(as.a, runV1, other.id)).rejects.toMatchObject({ status: 400 });
  });

  it("issue 20 §3: a cancelled run starts no new row; the rows under way are recorded, none is left running", async () => {
    fakes.right.setDefault({ content: "Paris", headerDelayMs: 150 });
    const r = await startRun(as.a, { datasetId, datasetVersion: 1, prompt: PROMPT, version: 2, scorers: [{ type: "exact" }], concurrency: 1 });
    const working = workDueRuns();
    await eventually(async () => ((await getRun(as.a, r.id)).progress.done >= 2 ? true : null), 15_000, "two rows done");
    const cancelled = await call(cancelRoute.POST, { method: "POST", path: "/x", headers: keyOf.a, params: { id: r.id } });
    expect(cancelled.status).toBe(200);
    await working;
    const after = await getRun(as.a, r.id);
    expect(after.status).toBe("cancelled");
    expect(after.progress.running).toBe(0);
    expect(after.progress.done).toBeLessThan(20);
    expect(fakes.right.requests.length).toBe(after.progress.done + after.progress.failed);
    const again = await call(cancelRoute.POST, { method: "POST", path: "/x", headers: keyOf.a, params: { id: r.id } });
    expect(again.status).toBe(409);
  });

  it("issue 20 §5: an admin key of workspace B gets 404 for A's datasets and runs, by every route", async () => {
    const p = { id: datasetId };
    const q = { id: runV1 };
    const results = await Promise.all([
      call(datasetRoute.GET, { path: "/x", headers: keyOf.b, params: p }),
      call(datasetRoute.PATCH, { method: "PATCH", path: "/x", headers: keyOf.b, params: p, body: { description: "mine" } }),
      call(datasetRoute.DELETE, { method: "DELETE", path: "/x", headers: keyOf.b, params: p }),
      call(rowsRoute.GET, { path: "/x", headers: keyOf.b, params: p }),
      call(rowsRoute.POST, { method: "POST", path: "/x", headers: keyOf.b, params: p, body: { rows: [{ variables: {} }] } }),
      call(uploadRoute.POST, { method: "POST", path: "/x", headers: keyOf.b, params: p, body: { format: "csv", content: "a\n1" } }),
      call(runsRoute.POST, { method: "POST", path: "/x", headers: keyOf.b, body: { datasetId, draft: content(RIGHT), scorers: [{ type: "exact" }] } }),
      call(runRoute.GET, { path: "/x", headers: keyOf.b, params: q }),
      call(runRoute.DELETE, { method: "DELETE", path: "/x", headers: keyOf.b, params: q }),
      call(cancelRoute.POST, { method: "POST", path: "/x", headers: keyOf.b, params: q }),
      call(runRowsRoute.GET, { path: "/x", headers: keyOf.b, params: q }),
      call(compareRoute.GET, { path: `/x?a=${runV1}&b=${runV2}`, headers: keyOf.b }),
    ]);
    expect(results.map((r) => r.status)).toEqual(Array(results.length).fill(404));
    expect((await call(datasetsRoute.GET, { path: "/x", headers: keyOf.b })).json.data).toEqual([]);
    expect((await call(runsRoute.GET, { path: "/x", headers: keyOf.b })).json.data).toEqual([]);
    // A's dataset and run are untouched.
    expect((await getDataset(as.a, datasetId)).description).toBe("");
    expect((await runResults(as.a, runV1)).run.status).toBe("completed");
  });

  it("issue 20 §3: a run of the unsaved draft records no version and runs the draft's content", async () => {
    const r = await startRun(as.a, { datasetId, datasetVersion: 1, draft: content(RIGHT), scorers: [{ type: "exact" }] });
    expect(r).toMatchObject({ draft: true, promptVersion: null, model: RIGHT });
    await workDueRuns();
    expect((await runResults(as.a, r.id)).aggregates.scorers[0]!.estimate.estimate).toBe(1);
  });

  it("issue 20 §2/§3: a run and its judge compose includes: the run pins the included version at start, the judge's rubric may include too", async () => {
    const PART = `capital-rule-${run}`;
    const COMPOSED = `capitals-composed-${run}`;
    const RUBRIC2 = `rubric-composed-${run}`;
    await createPrompt(as.a, { name: PART, commitMessage: "rule", labels: ["production"], type: "text", text: "Answer with the capital only, in English.", variables: [], config: {} });
    await createPrompt(as.a, {
      name: COMPOSED, commitMessage: "v1", labels: ["production"], type: "chat",
      messages: [{ role: "system", content: `{{> ${PART}@production}}` }, { role: "user", content: "Capital of {{country}}?" }],
      variables: [{ name: "country", type: "string", required: true }], config: { model: RIGHT, max_tokens: 20 },
    });
    await createPrompt(as.a, {
      name: RUBRIC2, commitMessage: "rubric", labels: ["production"], type: "chat",
      messages: [{ role: "system", content: `Rubric: {{> ${PART}@production}} Answer JSON {score, reasoning}.` }, { role: "user", content: "A: {{output}}" }],
      variables: [{ name: "output", type: "string" }], config: { model: JUDGE },
    });
    fakes.right.reset();
    fakes.right.setDefault({ content: "Paris" });
    fakes.judge.reset();
    fakes.judge.setDefault({ content: '{"score": 5, "reasoning": "right"}' });
    const r = await startRun(as.a, { datasetId, datasetVersion: 1, prompt: COMPOSED, label: "production", scorers: [{ type: "exact" }, { type: "judge", prompt: RUBRIC2, label: "production", model: JUDGE }] });
    // A label move on the included prompt after the start does not change the run.
    await createPromptVersion(as.a, PART, { commitMessage: "changed", labels: ["production"], type: "text", text: "CHANGED RULE", variables: [], config: {} });
    await workDueRuns();
    const rows = await runRows(as.a, r.id);
    expect(rows.rows.every((x: { status: string }) => x.status === "done")).toBe(true);
    const systems = fakes.right.requests.map((q) => (q.body as { messages: { role: string; content: string }[] }).messages[0]!.content);
    expect(systems.length).toBeGreaterThan(0);
    expect(new Set(systems)).toEqual(new Set(["Answer with the capital only, in English."]));
    const rubrics = fakes.judge.requests.map((q) => (q.body as { messages: { role: string; content: string }[] }).messages[0]!.content);
    expect(rubrics.length).toBe(systems.length);
    expect(rubrics.every((t) => t.startsWith("Rubric: ") && !t.includes("{{>"))).toBe(true);
  });
});
