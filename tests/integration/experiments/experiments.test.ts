// Experiments end to end inside one process: the real /api/completion and
// /api/feedback route handlers, the usage writer and its exposure hook, the
// lifecycle in lib/experiments and the prompts domain's label move, against
// the test database and a fake upstream.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "@/lib/accounts";
import { createApiKey } from "@/lib/auth/api-keys";
import type { Principal } from "@/lib/core";
import { closeDb, db } from "@/lib/db";
import { createPrompt, createPromptVersion, moveLabel, resolvePrompt } from "@/lib/prompts";
import { flushUsage } from "@/lib/usage";
import {
  changeWeights, completeExperiment, createExperiment, experimentResults, getExperiment, stepExperiment, type ExperimentView,
} from "@/lib/experiments";
import * as completionRoute from "@/app/api/completion/route";
import * as feedbackRoute from "@/app/api/feedback/route";
import { call } from "../../support/http";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";

const system = { kind: "system", name: "test" } as const;
const run = Date.now().toString(36);
const uniq = (name: string) => `${name}-${run}`;
const MODEL = `exp-test-${run}`;

const user = (role: "admin" | "editor" | "viewer"): Principal => ({
  kind: "user",
  user: { id: randomUUID(), email: `${role}-${run}@experiments.test`, name: role, role },
});
const admin = user("admin");
const editor = user("editor");

const content = (system: string) => ({
  type: "chat",
  messages: [{ role: "system", content: system }, { role: "user", content: "{{question}}" }],
  variables: [{ name: "question", type: "string", required: true }],
  config: { model: MODEL, temperature: 0.5, max_tokens: 50 },
});

describe("experiments", () => {
  let fake: FakeUpstream;
  let keyAuth: Record<string, string>;
  let otherKeyAuth: Record<string, string>;
  const prompt = uniq("exp-greeter");
  let experiment: ExperimentView;

  const complete = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    call(completionRoute.POST, { method: "POST", path: "/api/completion", headers: { ...keyAuth, ...headers }, body: { prompt, variables: { question: "hi?" }, ...body } });
  const feedback = (body: unknown, headers = keyAuth) => call(feedbackRoute.POST, { method: "POST", path: "/api/feedback", headers, body });

  beforeAll(async () => {
    fake = await startFakeUpstream({ defaultBehaviour: { content: "ok", completionTokens: 2 } });
    await createAccount(system, { name: uniq("exp-fake"), provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-exp-upstream-00001", models: ["exp-test-*"] });
    keyAuth = { authorization: `Bearer ${(await createApiKey(system, { name: uniq("exp-app"), scopes: ["completions"] })).key}` };
    otherKeyAuth = { authorization: `Bearer ${(await createApiKey(system, { name: uniq("exp-other"), scopes: ["completions"] })).key}` };
    await createPrompt(admin, { name: prompt, commitMessage: "v1", ...content("Plain answer.") });
    await createPromptVersion(admin, prompt, { commitMessage: "v2", ...content("Greet by name.") });
    await moveLabel(admin, prompt, "production", { version: 1 });
  });

  afterAll(async () => {
    await db.providerAccount.deleteMany({ where: { name: { endsWith: `-${run}` } } });
    await fake?.close();
    await closeDb();
  });

  it("creates a draft with one phase and two variants, the first control unless one is marked", async () => {
    experiment = await createExperiment(admin, {
      name: uniq("greeting"),
      prompt,
      hypothesis: "Greeting by name earns more thumbs-up",
      variants: [
        { name: "A", version: 1, weight: 50, control: true },
        { name: "B", version: 2, weight: 50, overrides: { temperature: 0.1 } },
      ],
    });
    expect(experiment).toMatchObject({ status: "draft", label: "production", primaryMetric: "thumbs", promptName: prompt });
    expect(experiment.phases).toHaveLength(1);
    expect(experiment.phases[0]!.variants.map((v) => [v.name, v.promptVersion, v.isControl])).toEqual([["A", 1, true], ["B", 2, false]]);
    const audit = await db.auditLog.findFirst({ where: { action: "experiment.create", targetId: experiment.id } });
    expect(audit?.actorEmail).toBe(admin.kind === "user" ? admin.user.email : "");
  });

  it("refuses variants that name a version the prompt does not have", async () => {
    await expect(createExperiment(admin, { name: "bad", prompt, variants: [{ name: "A", version: 1, weight: 1 }, { name: "B", version: 9, weight: 1 }] })).rejects.toMatchObject({
      status: 400,
      details: { param: "variants.1.version" },
    });
  });

  it("does not intercept traffic while the experiment is a draft", async () => {
    const r = await complete({ user: "draft-user" });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-promptgate-variant")).toBeNull();
    expect(r.json.version).toBe(1);
  });

  it("splits traffic once started and keeps every subject on one variant", async () => {
    await stepExperiment(admin, experiment.id, "start");
    const seen = new Map<string, Set<string>>();
    const responses = [];
    for (let round = 0; round < 3; round++) {
      const batch = await Promise.all(
        Array.from({ length: 40 }, (_, i) => complete({ user: `subject-${i}` }).then((r) => ({ r, subject: `subject-${i}` }))),
      );
      responses.push(...batch);
    }
    for (const { r, subject } of responses) {
      expect(r.status).toBe(200);
      const variant = r.headers.get("x-promptgate-variant")!;
      expect(["A", "B"]).toContain(variant);
      expect(r.json.variant).toBe(variant);
      expect(r.json.experiment).toMatchObject({ id: experiment.id, phase: 1, variant, sticky: true });
      expect(r.json.version).toBe(variant === "A" ? 1 : 2);
      seen.set(subject, (seen.get(subject) ?? new Set()).add(variant));
    }
    for (const variants of seen.values()) expect(variants.size).toBe(1);
    const counts = [...seen.values()].map((s) => [...s][0]);
    expect(counts.filter((v) => v === "A").length).toBeGreaterThan(5);
    expect(counts.filter((v) => v === "B").length).toBeGreaterThan(5);
  });

  it("applies the variant's version and overrides to the upstream request", async () => {
    fake.reset();
    fake.setDefault({ content: "ok", completionTokens: 2 });
    for (let i = 0; i < 20; i++) await complete({ user: `override-${i}` });
    const sent = fake.requests.map((r) => r.body as { temperature: number; messages: { content: string }[]; user: string });
    const b = sent.filter((s) => s.messages[0]!.content === "Greet by name.");
    const a = sent.filter((s) => s.messages[0]!.content === "Plain answer.");
    expect(a.length + b.length).toBe(20);
    expect(b.every((s) => s.temperature === 0.1)).toBe(true);
    expect(a.every((s) => s.temperature === 0.5)).toBe(true);
  });

  it("names the variant in the first chunk and the headers of a streamed completion", async () => {
    const r = await complete({ user: "stream-user", stream: true });
    expect(r.status).toBe(200);
    const variant = r.headers.get("x-promptgate-variant");
    expect(["A", "B"]).toContain(variant);
    const first = JSON.parse(r.text.split("\n").find((l) => l.startsWith("data: {"))!.slice(6)) as { variant: string; experiment: { sticky: boolean } };
    expect(first.variant).toBe(variant);
    expect(first.experiment.sticky).toBe(true);
    expect((await complete({ user: "stream-user" })).headers.get("x-promptgate-variant")).toBe(variant);
  });

  it("records experiment, variant and phase on the usage event and the exposure", async () => {
    const r = await complete({ user: "recorded-user" });
    await flushUsage();
    const id = r.json.id as string;
    const usage = await db.usageEvent.findUniqueOrThrow({ where: { completionId: id } });
    const variant = experiment.phases[0]!.variants.find((v) => v.name === r.json.variant)!;
    expect(usage).toMatchObject({ experimentId: experiment.id, variantId: variant.id, endUser: "recorded-user", source: "completion" });
    const exposure = await db.experimentExposure.findUniqueOrThrow({ where: { completionId: id } });
    expect(exposure).toMatchObject({ experimentId: experiment.id, phaseId: experiment.phases[0]!.id, variantId: variant.id, subject: "recorded-user", sticky: true, status: "ok" });
  });

  it("takes the subject from x-promptgate-subject when the body has no user", async () => {
    const variants = new Set<string>();
    for (let i = 0; i < 5; i++) variants.add((await complete({}, { "x-promptgate-subject": "header-subject" })).headers.get("x-promptgate-variant")!);
    expect(variants.size).toBe(1);
    const r = await complete({}, { "x-promptgate-subject": "header-subject" });
    await flushUsage();
    expect((await db.experimentExposure.findUniqueOrThrow({ where: { completionId: r.json.id } })).subject).toBe("header-subject");
  });

  it("picks at random per request without a subject and flags it non-sticky", async () => {
    const results = await Promise.all(Array.from({ length: 40 }, () => complete({})));
    const variants = results.map((r) => r.json.experiment.variant as string);
    expect(new Set(variants).size).toBe(2);
    expect(results.every((r) => r.json.experiment.sticky === false)).toBe(true);
    await flushUsage();
    const rows = await db.experimentExposure.findMany({ where: { completionId: { in: results.map((r) => r.json.id) } } });
    expect(rows).toHaveLength(40);
    expect(rows.every((e) => e.sticky === false && e.subject === null)).toBe(true);
  });

  it("never intercepts a request that names a version or another label", async () => {
    const byVersion = await complete({ user: "subject-1", version: 1 });
    expect(byVersion.headers.get("x-promptgate-variant")).toBeNull();
    expect(byVersion.json.version).toBe(1);
    const byLabel = await complete({ user: "subject-1", label: "latest" });
    expect(byLabel.headers.get("x-promptgate-variant")).toBeNull();
    expect(byLabel.json.version).toBe(2);
  });

  it("allows one running or paused experiment per prompt and label, even under concurrent starts", async () => {
    const second = await createExperiment(admin, { name: uniq("second"), prompt, variants: [{ name: "X", version: 1, weight: 1 }, { name: "Y", version: 2, weight: 1 }] });
    await expect(stepExperiment(admin, second.id, "start")).rejects.toMatchObject({ status: 409 });
    // Two fresh drafts on another label race to start: exactly one wins.
    await moveLabel(admin, prompt, "staging", { version: 1 });
    const mk = (n: string) => createExperiment(editor, { name: uniq(n), prompt, label: "staging", variants: [{ name: "X", version: 1, weight: 1 }, { name: "Y", version: 2, weight: 1 }] });
    const [c1, c2] = await Promise.all([mk("race-1"), mk("race-2")]);
    const outcomes = await Promise.allSettled([stepExperiment(editor, c1.id, "start"), stepExperiment(editor, c2.id, "start")]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(["fulfilled", "rejected"]);
    const rejected = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ status: 409 });
  });

  it("takes feedback idempotently per completion and name, the last write winning", async () => {
    const r = await complete({ user: "rater" });
    const first = await feedback({ completion_id: r.json.id, name: "thumbs", value: 0, comment: "meh" });
    expect(first.status).toBe(200);
    const second = await feedback({ completion_id: r.json.id, name: "thumbs", value: 1 });
    expect(second.status).toBe(200);
    expect(second.json).toMatchObject({ name: "thumbs", value: 1, comment: null });
    const rows = await db.feedback.findMany({ where: { completionId: r.json.id } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.value).toBe(1);
    await feedback({ completion_id: r.json.id, name: "rating", value: 4 });
    expect(await db.feedback.count({ where: { completionId: r.json.id } })).toBe(2);
  });

  it("answers 404 for an unknown completion, 403 for another key's completion and 400 for an invalid thumbs value", async () => {
    const r = await complete({ user: "rater-2" });
    expect((await feedback({ completion_id: "chatcmpl-doesnotexist", name: "thumbs", value: 1 })).status).toBe(404);
    const other = await feedback({ completion_id: r.json.id, name: "thumbs", value: 1 }, otherKeyAuth);
    expect(other.status).toBe(403);
    expect(await db.feedback.count({ where: { completionId: r.json.id } })).toBe(0);
    const bad = await feedback({ completion_id: r.json.id, name: "thumbs", value: 3 });
    expect(bad.status).toBe(400);
    expect(bad.json.error.param).toBe("value");
  });

  it("shows B ahead in the results when the feedback favours B, with CIs, a verdict and P(best)", async () => {
    // 120 more sticky subjects; thumbs up for B 85% of the time, for A 35%.
    const results = await Promise.all(Array.from({ length: 160 }, (_, i) => complete({ user: `fb-${i}` })));
    await Promise.all(
      results.map((r, i) => {
        const rate = r.json.variant === "B" ? 0.85 : 0.35;
        return feedback({ completion_id: r.json.id, name: "thumbs", value: (i * 0.6180339887) % 1 < rate ? 1 : 0 });
      }),
    );
    await flushUsage();
    const res = await experimentResults("00000000-0000-0000-0000-000000000001", experiment.id);
    expect(res.phase.number).toBe(1);
    const [cmp] = res.primary.comparisons;
    expect(cmp).toMatchObject({ variant: "B", test: "two-proportion z-test" });
    expect(cmp!.absoluteLift.estimate).toBeGreaterThan(0.3);
    expect(cmp!.absoluteLift.lower).toBeGreaterThan(0);
    expect(cmp!.verdict).toBe("significant");
    expect(cmp!.pValue).toBeLessThan(0.001);
    expect(res.primary.probabilityBest.B).toBeGreaterThan(0.99);
    const b = res.variants.find((v) => v.name === "B")!;
    const thumbs = b.metrics.find((m) => m.name === "thumbs")!;
    expect(thumbs.kind).toBe("binary");
    expect(thumbs.interval.lower).toBeLessThan(thumbs.mean);
    expect(thumbs.interval.upper).toBeGreaterThan(thumbs.mean);
    expect(b.requests).toBeGreaterThan(0);
    expect(b.latencyP50).not.toBeNull();
    expect(res.srm.mismatch).toBe(false);
    expect(res.chart.points.length).toBeGreaterThan(0);
  });

  it("starts a new phase when weights change, and assigns the new phase by its own weights", async () => {
    await expect(changeWeights(admin, experiment.id, { weights: { A: 100, B: 0 } })).rejects.toMatchObject({ status: 400, details: { param: "weights" } });
    const e = await changeWeights(admin, experiment.id, { weights: { A: 80, B: 20 } });
    expect(e.phases.map((p) => [p.number, p.reason, p.endedAt === null])).toEqual([[1, "launch", false], [2, "weights", true]]);
    expect(e.phases[1]!.variants.map((v) => [v.name, v.weight, v.isControl])).toEqual([["A", 80, true], ["B", 20, false]]);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => complete({ user: `phase2-${i}` })));
    expect(results.every((r) => r.json.experiment.phase === 2)).toBe(true);
    const a = results.filter((r) => r.json.variant === "A").length;
    expect(a).toBeGreaterThan(130);
    expect(a).toBeLessThan(190);
    await flushUsage();
    const phase2 = e.phases[1]!;
    expect(await db.experimentExposure.count({ where: { phaseId: phase2.id } })).toBe(200);
    const res = await experimentResults("00000000-0000-0000-0000-000000000001", experiment.id);
    expect(res.phase.number).toBe(2);
    expect(res.variants.find((v) => v.name === "A")!.requests).toBe(a);
    expect(res.srm.mismatch).toBe(false);
    expect(res.chart.phaseStarts.map((p) => p.number)).toEqual([1, 2]);
    // Phase 1's numbers are unchanged and still available.
    expect((await experimentResults("00000000-0000-0000-0000-000000000001", experiment.id, 1)).primary.comparisons[0]!.verdict).toBe("significant");
  });

  it("stops intercepting when paused and resumes the same phase", async () => {
    await stepExperiment(editor, experiment.id, "pause");
    expect((await complete({ user: "subject-1" })).headers.get("x-promptgate-variant")).toBeNull();
    await stepExperiment(admin, experiment.id, "resume");
    const r = await complete({ user: "subject-1" });
    expect(r.json.experiment.phase).toBe(2);
  });

  it("refuses an editor's promotion onto the protected production label and leaves the experiment running", async () => {
    await expect(completeExperiment(editor, experiment.id, { winner: "B", promote: true })).rejects.toMatchObject({ status: 403 });
    expect((await getExperiment("00000000-0000-0000-0000-000000000001", experiment.id)).status).toBe("running");
    expect((await resolvePrompt("00000000-0000-0000-0000-000000000001", prompt)).version.version).toBe(1);
  });

  it("completes with the winner promoted: production moves to B's version, audited", async () => {
    const done = await completeExperiment(admin, experiment.id, { winner: "B", promote: true });
    expect(done).toMatchObject({ status: "completed", winnerVariantName: "B" });
    expect((await resolvePrompt("00000000-0000-0000-0000-000000000001", prompt)).version.version).toBe(2);
    const r = await complete({ user: "after" });
    expect(r.headers.get("x-promptgate-variant")).toBeNull();
    expect(r.json.version).toBe(2);
    const actions = (await db.auditLog.findMany({ where: { OR: [{ targetId: experiment.id }, { action: "prompt.label.move", after: { path: ["prompt"], equals: prompt } }] }, orderBy: { createdAt: "asc" } })).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(["experiment.create", "experiment.start", "experiment.weights", "experiment.pause", "experiment.resume", "experiment.complete", "prompt.label.move"]));
    await expect(stepExperiment(admin, experiment.id, "resume")).rejects.toMatchObject({ status: 409 });
  });
});
