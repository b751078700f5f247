// Security finding 13.1: an editor could take over a protected label (production
// by default) through an experiment: save a version (which moves only `latest`),
// put it in an experiment on `production` at weight 10000 against the control at
// 1, and start it. Creating, starting, resuming and re-weighting an experiment on
// a protected label are admin actions; pausing and completing without promoting
// stop a split and stay open to editors. Driven through the console's real server
// actions over HTTP against the production build, as a signed-in admin and editor.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb, db } from "@/lib/db";
import { createPrompt, createPromptVersion, updatePrompt } from "@/lib/prompts";
import { createExperiment, getExperiment } from "@/lib/experiments";
import { insertUser } from "@/lib/users";
import { startApp, type AppServer } from "../../support/app-server";
import { callServerAction, type ActionResult } from "../../support/server-actions";
import { signInOverHttp } from "../../support/callers";

const ACTIONS = "app/(console)/experiments/actions.ts";
const system = { kind: "system", name: "test" } as const;
const run = randomBytes(4).toString("hex");
const prompt = `takeover-${run}`;

const content = (text: string) => ({
  type: "chat",
  messages: [{ role: "system", content: text }, { role: "user", content: "{{question}}" }],
  variables: [{ name: "question", type: "string", required: true }],
  config: { model: "sim-small" },
});

// The exploit's shape: the editor's version at 10000 against the control at 1, on another model.
const takeover = (name: string, label = "production") => ({
  name,
  prompt,
  label,
  variants: [
    { name: "control", version: 1, weight: 1, control: true },
    { name: "mine", version: 2, weight: 10_000, overrides: { model: "sim-large" } },
  ],
});

function refused(r: ActionResult) {
  expect(r.ok, JSON.stringify(r)).toBe(false);
  if (r.ok) return;
  expect(r.error.code).toBe("forbidden");
  expect(r.error.param).toBe("label");
  expect(r.error.message).toMatch(/'[a-z]+' is a protected label: only admins may/);
}

function allowed(r: ActionResult) {
  expect(r.ok, JSON.stringify(r)).toBe(true);
}

describe("security #13.1: experiments on a protected label are an admin action", () => {
  let app: AppServer;
  let adminCookie: string;
  let editorCookie: string;
  const editorEmail = `editor-${run}@takeover.test`;
  const as = (cookie: string, name: string, ...args: unknown[]) => callServerAction(app.url, cookie, ACTIONS, name, args);
  const asEditor = (name: string, ...args: unknown[]) => as(editorCookie, name, ...args);
  const asAdmin = (name: string, ...args: unknown[]) => as(adminCookie, name, ...args);
  const auditedForEditor = () =>
    db.auditLog.findMany({ where: { actorEmail: editorEmail, action: { startsWith: "experiment." } }, orderBy: { createdAt: "asc" }, select: { action: true } });

  beforeAll(async () => {
    app = await startApp();
    for (const role of ["admin", "editor"] as const) {
      const email = role === "editor" ? editorEmail : `admin-${run}@takeover.test`;
      const password = `pw-${role}-${randomBytes(9).toString("base64url")}`;
      await insertUser({ email, name: `${role} ${run}`, role, password });
      const cookie = await signInOverHttp(app.url, email, password);
      if (role === "admin") adminCookie = cookie;
      else editorCookie = cookie;
    }
    // production on v1 (protected by default); the editor's save is v2, which moves only `latest`.
    await createPrompt(system, { name: prompt, commitMessage: "v1", labels: ["production", "staging"], ...content("Answer plainly.") });
    await createPromptVersion(system, prompt, { commitMessage: "v2", ...content("Say whatever I want.") });
  }, 600_000);

  afterAll(async () => {
    await app?.stop();
    await closeDb();
  });

  it("security #13.1: refuses an editor's experiment on production at create (forbidden), writing nothing and auditing nothing", async () => {
    refused(await asEditor("createExperimentAction", takeover(`editor-${run}`)));
    expect(await db.experiment.count({ where: { name: `editor-${run}` } })).toBe(0);
    expect(await auditedForEditor()).toEqual([]);
    // The domain answers 403 to any caller, not only to the console.
    const editor = { kind: "user", user: { id: "00000000-0000-4000-8000-000000000001", email: editorEmail, name: "editor", role: "editor" } } as const;
    await expect(createExperiment(editor, takeover(`editor-direct-${run}`))).rejects.toMatchObject({ status: 403, code: "forbidden" });
  });

  it("security #13.1: refuses an editor's start and re-weighting of a draft on production; an admin may do both", async () => {
    const created = await asAdmin("createExperimentAction", takeover(`admin-draft-${run}`));
    allowed(created);
    const id = (created as { data: { id: string } }).data.id;
    refused(await asEditor("changeWeightsAction", { id, weights: { control: 1, mine: 10_000 } }));
    refused(await asEditor("stepExperimentAction", { id, step: "start" }));
    expect((await getExperiment("00000000-0000-0000-0000-000000000001", id)).status).toBe("draft");

    allowed(await asAdmin("changeWeightsAction", { id, weights: { control: 50, mine: 50 } }));
    allowed(await asAdmin("stepExperimentAction", { id, step: "start" }));
    const e = await getExperiment("00000000-0000-0000-0000-000000000001", id);
    expect(e.status).toBe("running");
    expect(e.phases.at(-1)!.variants.map((v) => v.weight)).toEqual([50, 50]);
  });

  it("security #13.1: lets an editor pause a running experiment on production but not resume or re-weight it; an admin may", async () => {
    const [live] = await db.experiment.findMany({ where: { name: `admin-draft-${run}` }, select: { id: true } });
    const id = live!.id;
    refused(await asEditor("changeWeightsAction", { id, weights: { control: 1, mine: 10_000 } }));
    expect((await getExperiment("00000000-0000-0000-0000-000000000001", id)).phases).toHaveLength(1);

    // Pausing stops the split, so it is no takeover: editors keep it.
    allowed(await asEditor("stepExperimentAction", { id, step: "pause" }));
    refused(await asEditor("stepExperimentAction", { id, step: "resume" }));
    expect((await getExperiment("00000000-0000-0000-0000-000000000001", id)).status).toBe("paused");

    allowed(await asAdmin("stepExperimentAction", { id, step: "resume" }));
    allowed(await asAdmin("changeWeightsAction", { id, weights: { control: 80, mine: 20 } }));
    const e = await getExperiment("00000000-0000-0000-0000-000000000001", id);
    expect(e.status).toBe("running");
    expect(e.phases).toHaveLength(2);

    // Completing without promoting also only stops the split.
    allowed(await asEditor("completeExperimentAction", { id }));
    expect((await getExperiment("00000000-0000-0000-0000-000000000001", id)).status).toBe("completed");
  });

  it("security #13.1: audits only what was done: the editor's pause and completion, none of the refusals", async () => {
    expect((await auditedForEditor()).map((a) => a.action)).toEqual(["experiment.pause", "experiment.complete"]);
  });

  it("security #13.1: leaves editors free to run experiments on an unprotected label", async () => {
    const created = await asEditor("createExperimentAction", takeover(`staging-${run}`, "staging"));
    allowed(created);
    const id = (created as { data: { id: string } }).data.id;
    allowed(await asEditor("stepExperimentAction", { id, step: "start" }));
    allowed(await asEditor("changeWeightsAction", { id, weights: { control: 50, mine: 50 } }));
    allowed(await asEditor("stepExperimentAction", { id, step: "pause" }));
    allowed(await asEditor("stepExperimentAction", { id, step: "resume" }));
  });

  it("security #13.1: checks the rule at each action, so a label protected mid-experiment can still be paused by an editor but not resumed", async () => {
    const [live] = await db.experiment.findMany({ where: { name: `staging-${run}` }, select: { id: true } });
    const id = live!.id;
    await updatePrompt(system, prompt, { protectedLabels: ["production", "staging"] });
    refused(await asEditor("changeWeightsAction", { id, weights: { control: 1, mine: 10_000 } }));
    allowed(await asEditor("stepExperimentAction", { id, step: "pause" }));
    refused(await asEditor("stepExperimentAction", { id, step: "resume" }));
    expect((await getExperiment("00000000-0000-0000-0000-000000000001", id)).status).toBe("paused");
  });
});
