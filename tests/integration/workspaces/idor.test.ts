// IDOR (issue 18 §1): a member of workspace A, with every role, acts on ids and
// names from workspace B and gets 404 (never 403, which would reveal that the
// thing exists): prompts, versions, labels, global variables, experiments,
// feedback, keys, key logs, quota policies, usage filters, exports and audit.
// The domain functions the console's routes and server actions call, with the
// principal a session in A carries; and the management/gateway routes over
// their real handlers with an admin-scoped key of A. B is unchanged afterwards.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "@/lib/accounts";
import { createApiKey, getApiKey, revokeApiKey, setKeyCacheEnabled } from "@/lib/auth/api-keys";
import { disableSigning, enableSigning } from "@/lib/auth/signing";
import { listAudit } from "@/lib/audit";
import type { Principal } from "@/lib/core";
import { closeDb, db } from "@/lib/db";
import { listRequestLogs, setKeyFilters, setKeyLogging } from "@/lib/filters";
import {
  changeWeights, completeExperiment, createExperiment, deleteExperiment, experimentResults, feedbackFor, getExperiment, listExperiments,
  recordFeedback, stepExperiment,
} from "@/lib/experiments";
import {
  createPrompt, createPromptVersion, deleteGlobalVariable, deleteLabel, diffVersions, getPrompt, getVersion, listGlobalVariables, listPrompts, moveLabel,
  resolvePrompt, setGlobalVariable, updatePrompt,
} from "@/lib/prompts";
import { createPolicy, deletePolicy, getPolicy, listPolicies, quotaOverview, updatePolicy } from "@/lib/quota";
import { exportEvents, usageDashboard, usageSummary } from "@/lib/usage";
import { createWorkspace } from "@/lib/workspaces";
import * as completionRoute from "@/app/api/completion/route";
import * as feedbackRoute from "@/app/api/feedback/route";
import * as quotaRoute from "@/app/api/quota/route";
import * as usageRoute from "@/app/api/v1/usage/route";
import * as keyRoute from "@/app/api/admin/keys/[id]/route";
import * as promptRoute from "@/app/api/admin/prompts/[name]/route";
import * as versionRoute from "@/app/api/admin/prompts/[name]/versions/[version]/route";
import * as labelRoute from "@/app/api/admin/prompts/[name]/labels/[label]/route";
import * as quotaPolicyRoute from "@/app/api/admin/quotas/[id]/route";
import * as exportEventsRoute from "@/app/api/admin/usage/export/events/route";
import { call } from "../../support/http";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { eventually } from "../../support/eventually";

const run = Date.now().toString(36);
const MODEL = `idor-model-${run}`;
const root = { kind: "system", name: "test" } as const;
const roles = ["admin", "editor", "viewer"] as const;

const content = (text: string) => ({
  type: "chat",
  messages: [{ role: "system", content: text }, { role: "user", content: "{{q}}" }],
  variables: [{ name: "q", type: "string", required: true }],
  config: { model: MODEL },
});

/** 404 and nothing else: the answer a missing id gets. */
async function expect404(what: string, p: Promise<unknown>) {
  const err = await p.then(() => null, (e: unknown) => e);
  expect({ what, status: (err as { status?: number } | null)?.status ?? "resolved" }).toEqual({ what, status: 404 });
}

describe("IDOR: a member of workspace A never reaches workspace B's things", () => {
  let fake: FakeUpstream;
  let A = "";
  let B = "";
  let inB: Principal;
  const b = { prompt: `idor-secret-${run}`, global: `idor_global_${run}`, experiment: "", key: "", policy: "", completion: "" };
  let adminKeyA: Record<string, string>;

  const member = (role: (typeof roles)[number]): Principal => ({
    kind: "user",
    user: { id: randomUUID(), email: `${role}-${run}@a.test`, name: role, role, instanceAdmin: false, workspace: { id: A, slug: `a-${run}`, name: "A", allowedModels: [] } },
  });

  beforeAll(async () => {
    fake = await startFakeUpstream();
    await createAccount(root, { name: `idor-fake-${run}`, provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-idor-upstream-0001", models: [MODEL] });
    A = (await createWorkspace(root, { name: "A", slug: `a-${run}` })).id;
    B = (await createWorkspace(root, { name: "B", slug: `b-${run}` })).id;
    inB = { kind: "system", name: "test", workspaceId: B };
    // B's things.
    await createPrompt(inB, { name: b.prompt, commitMessage: "v1", labels: ["production"], ...content("B's secret system prompt") });
    await createPromptVersion(inB, b.prompt, { commitMessage: "v2", labels: ["staging"], ...content("B's secret v2") });
    await setGlobalVariable(inB, { name: b.global, value: "B only" });
    const e = await createExperiment(inB, { name: `idor-exp-${run}`, prompt: b.prompt, label: "staging", variants: [{ name: "A", version: 1, weight: 50, control: true }, { name: "B", version: 2, weight: 50 }] });
    b.experiment = e.id;
    const keyB = await createApiKey(inB, { name: `idor-b-${run}`, scopes: ["completions"] });
    b.key = keyB.row.id;
    await setKeyLogging(inB, b.key, { enabled: true, retentionDays: 7 });
    b.policy = (await createPolicy(inB, { name: `idor-policy-${run}`, scope: "key", apiKeyId: b.key, tokensPerDay: 100000 })).id;
    const r = await call(completionRoute.POST, { method: "POST", path: "/api/completion", headers: { authorization: `Bearer ${keyB.key}` }, body: { prompt: b.prompt, variables: { q: "hi" } } });
    expect(r.status).toBe(200);
    b.completion = r.json.id;
    await eventually(() => db.usageEvent.findUnique({ where: { completionId: b.completion } }), 10_000, "B's usage event");
    await eventually(() => db.requestLog.findFirst({ where: { completionId: b.completion } }), 10_000, "B's request log");
    await recordFeedback(inB, { completion_id: b.completion, name: "thumbs", value: 1 });
    adminKeyA = { authorization: `Bearer ${(await createApiKey({ kind: "system", name: "test", workspaceId: A }, { name: `idor-a-admin-${run}`, scopes: ["admin", "completions"] })).key}` };
  });

  afterAll(async () => {
    await db.providerAccount.deleteMany({ where: { name: `idor-fake-${run}` } });
    await fake?.close();
    await closeDb();
  });

  for (const role of roles) {
    describe(`as ${role} of A`, () => {
      it("prompts, versions, labels and global variables of B: 404, and absent from A's lists", async () => {
        const me = member(role);
        await expect404("getPrompt", getPrompt(A, b.prompt));
        await expect404("getVersion", getVersion(A, b.prompt, 1));
        await expect404("diffVersions", diffVersions(A, b.prompt, { from: 1, to: 2 }));
        await expect404("resolvePrompt", resolvePrompt(A, b.prompt, { label: "production" }));
        await expect404("createPromptVersion", createPromptVersion(me, b.prompt, { commitMessage: "pwned", ...content("pwned") }));
        await expect404("moveLabel", moveLabel(me, b.prompt, "staging", { version: 1 }));
        await expect404("deleteLabel", deleteLabel(me, b.prompt, "staging"));
        await expect404("updatePrompt", updatePrompt(me, b.prompt, { description: "pwned" }));
        await expect404("deleteGlobalVariable", deleteGlobalVariable(me, b.global));
        expect((await listPrompts(A)).map((p) => p.name)).not.toContain(b.prompt);
        expect((await listGlobalVariables(A)).map((g) => g.name)).not.toContain(b.global);
      });

      it("experiments and feedback of B: 404", async () => {
        const me = member(role);
        await expect404("getExperiment", getExperiment(A, b.experiment));
        await expect404("experimentResults", experimentResults(A, b.experiment));
        await expect404("stepExperiment", stepExperiment(me, b.experiment, "start"));
        await expect404("changeWeights", changeWeights(me, b.experiment, { weights: { A: 1, B: 1 } }));
        await expect404("completeExperiment", completeExperiment(me, b.experiment, {}));
        await expect404("deleteExperiment", deleteExperiment(me, b.experiment));
        await expect404("recordFeedback", recordFeedback(me, { completion_id: b.completion, name: "thumbs", value: 0 }));
        expect(await feedbackFor(A, b.completion)).toEqual([]);
        expect((await listExperiments(A)).map((e) => e.id)).not.toContain(b.experiment);
      });

      it("keys, key logs and quota policies of B: 404", async () => {
        const me = member(role);
        expect(await getApiKey(A, b.key)).toBeNull();
        await expect404("revokeApiKey", revokeApiKey(me, b.key));
        await expect404("setKeyCacheEnabled", setKeyCacheEnabled(me, { id: b.key, enabled: true }));
        await expect404("setKeyFilters", setKeyFilters(me, b.key, { terms: ["x"] }));
        await expect404("setKeyLogging", setKeyLogging(me, b.key, { enabled: false, retentionDays: 1 }));
        await expect404("enableSigning", enableSigning(me, b.key));
        await expect404("disableSigning", disableSigning(me, b.key));
        expect(await listRequestLogs(A, b.key)).toEqual([]);
        await expect404("getPolicy", getPolicy(A, b.policy));
        await expect404("updatePolicy", updatePolicy(me, b.policy, { tokensPerDay: 1 }));
        await expect404("deletePolicy", deletePolicy(me, b.policy));
        await expect404("createPolicy naming B's key", createPolicy(me, { name: `idor-steal-${run}-${role}`, scope: "key", apiKeyId: b.key, tokensPerDay: 1 }));
        expect((await listPolicies(A)).map((p) => p.id)).not.toContain(b.policy);
        expect((await quotaOverview(A)).keyOptions.map((k) => k.id)).not.toContain(b.key);
      });

      it("usage filtered to B's key, exports and audit show nothing of B", async () => {
        const me = member(role);
        const view = { range: "24h" as const, by: "key" as const, filters: { key: b.key } };
        const d = await usageDashboard(A, view);
        expect(d.current.requests).toBe(0);
        expect(await usageDashboard(A, { range: "24h", by: "key", filters: {} }).then((x) => x.top.keys.map((k) => k.id))).not.toContain(b.key);
        const csv = await new Response((await exportEvents(me, view)).stream).text();
        expect(csv.trim().split("\n")).toHaveLength(1);
        expect(csv).not.toContain(b.completion);
        expect((await usageSummary(A, b.key, new Date(Date.now() - 86_400_000), new Date(Date.now() + 60_000))).byModel).toEqual([]);
        const audit = await listAudit({ workspaceId: A, pageSize: 200 });
        const bIds = [b.experiment, b.key, b.policy, b.completion];
        expect(audit.rows.filter((r) => bIds.includes(r.targetId ?? "") || JSON.stringify(r.after ?? "").includes(b.prompt))).toEqual([]);
      });
    });
  }

  it("the management and gateway routes answer 404 to A's admin key for B's ids and names", async () => {
    const h = adminKeyA;
    const n = b.prompt;
    const answers = {
      prompt: (await call(promptRoute.GET, { path: `/api/admin/prompts/${n}`, headers: h, params: { name: n } })).status,
      version: (await call(versionRoute.GET, { path: `/api/admin/prompts/${n}/versions/1`, headers: h, params: { name: n, version: "1" } })).status,
      label: (await call(labelRoute.PUT, { method: "PUT", path: `/api/admin/prompts/${n}/labels/staging`, headers: h, params: { name: n, label: "staging" }, body: { version: 1 } })).status,
      key: (await call(keyRoute.DELETE, { method: "DELETE", path: `/api/admin/keys/${b.key}`, headers: h, params: { id: b.key } })).status,
      policy: (await call(quotaPolicyRoute.GET, { path: `/api/admin/quotas/${b.policy}`, headers: h, params: { id: b.policy } })).status,
      quotaStatus: (await call(quotaRoute.GET, { path: `/api/quota?api_key_id=${b.key}`, headers: h })).status,
      feedback: (await call(feedbackRoute.POST, { method: "POST", path: "/api/feedback", headers: h, body: { completion_id: b.completion, name: "thumbs", value: 0 } })).status,
      completion: (await call(completionRoute.POST, { method: "POST", path: "/api/completion", headers: h, body: { prompt: n, variables: { q: "x" } } })).status,
    };
    expect(answers).toEqual({ prompt: 404, version: 404, label: 404, key: 404, policy: 404, quotaStatus: 404, feedback: 404, completion: 404 });
    const usage = await call(usageRoute.GET, { path: `/api/v1/usage?api_key_id=${b.key}`, headers: h });
    expect(usage.status).toBe(200);
    expect(JSON.stringify(usage.json)).not.toContain(MODEL);
    const exported = await call(exportEventsRoute.GET, { path: `/api/admin/usage/export/events?range=24h&key=${b.key}`, headers: h });
    expect(exported.status).toBe(200);
    expect(exported.text).not.toContain(b.completion);
  });

  it("B is unchanged by all of it", async () => {
    const p = await getPrompt(B, b.prompt);
    expect(p.versions.map((v) => v.version)).toEqual([2, 1]);
    expect(p.labels.map((l) => [l.name, l.version])).toEqual([["latest", 2], ["production", 1], ["staging", 2]]);
    expect(p.description).toBe("");
    expect((await getExperiment(B, b.experiment)).status).toBe("draft");
    expect(await getApiKey(B, b.key)).toMatchObject({ revokedAt: null, cacheEnabled: false });
    expect(await getPolicy(B, b.policy)).toMatchObject({ tokensPerDay: 100000 });
    expect((await feedbackFor(B, b.completion)).map((f) => [f.name, f.value])).toEqual([["thumbs", 1]]);
    expect((await listGlobalVariables(B)).map((g) => g.name)).toContain(b.global);
    expect(await listRequestLogs(B, b.key)).toHaveLength(1);
  });
});
