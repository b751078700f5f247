// Domain events (issue 19 §3): each is written to the outbox in the transaction of the change it
// describes (lib/events), so a refused change tells nothing. In-process, against the real database.
import { afterAll, describe, expect, it } from "vitest";
import { clearHealthState, createAccount, invalidateRegistry, pickAccounts, reportFailure, writeHealthSnapshot } from "@/lib/accounts";
import { closeDb, db } from "@/lib/db";
import { completeExperiment, createExperiment, stepExperiment } from "@/lib/experiments";
import { createPrompt, createPromptVersion, moveLabel } from "@/lib/prompts";
import { ProviderError } from "@/lib/providers";

const run = Date.now().toString(36);
const inWs = { kind: "system", name: "test" } as const;
const content = (text: string) => ({ type: "chat", messages: [{ role: "system", content: text }], variables: [], config: { model: `ev-model-${run}` } });

const eventsWhere = (type: string, field: string, value: string) =>
  db.outboxEvent.findMany({ where: { type, data: { path: [field], equals: value } }, orderBy: { createdAt: "asc" } });

describe("domain events in the outbox", () => {
  afterAll(async () => {
    await db.providerAccount.deleteMany({ where: { name: { endsWith: `-${run}` } } });
    await closeDb();
  });

  it("prompt.version_created on create and save, prompt.label_moved with from, to and who moved it (issue 20 §4: labels set while saving too)", async () => {
    const name = `ev-prompt-${run}`;
    await createPrompt(inWs, { name, commitMessage: "v1", labels: ["staging"], ...content("one") });
    await createPromptVersion(inWs, name, { commitMessage: "v2", ...content("two") });
    await moveLabel(inWs, name, "staging", { version: 2 });
    const created = await eventsWhere("prompt.version_created", "prompt", name);
    expect(created.map((e) => (e.data as { version: number }).version)).toEqual([1, 2]);
    // Issue 20 §4: the label set while creating is a move too (from nothing); `latest` is not (version_created says so).
    const moved = await eventsWhere("prompt.label_moved", "prompt", name);
    expect(moved.map((e) => e.data)).toEqual([
      { prompt: name, label: "staging", fromVersion: null, toVersion: 1, movedBy: "system:test" },
      { prompt: name, label: "staging", fromVersion: 1, toVersion: 2, movedBy: "system:test" },
    ]);
    // A refused move (version 99 does not exist) tells nothing.
    await expect(moveLabel(inWs, name, "staging", { version: 99 })).rejects.toMatchObject({ status: 404 });
    expect(await eventsWhere("prompt.label_moved", "prompt", name)).toHaveLength(2);
  });

  it("experiment.started and experiment.completed, in the step's transaction; a refused step tells nothing", async () => {
    const prompt = `ev-exp-prompt-${run}`;
    await createPrompt(inWs, { name: prompt, commitMessage: "v1", labels: ["staging"], ...content("one") });
    await createPromptVersion(inWs, prompt, { commitMessage: "v2", ...content("two") });
    const e = await createExperiment(inWs, { name: `ev-exp-${run}`, prompt, label: "staging", variants: [{ name: "A", version: 1, weight: 1, control: true }, { name: "B", version: 2, weight: 1 }] });
    await stepExperiment(inWs, e.id, "start");
    await expect(stepExperiment(inWs, e.id, "start")).rejects.toMatchObject({ status: 409 });
    const started = await eventsWhere("experiment.started", "experimentId", e.id);
    expect(started).toHaveLength(1);
    expect(started[0]!.data).toMatchObject({ experimentId: e.id, name: `ev-exp-${run}`, prompt, label: "staging" });
    expect(started[0]!.workspaceId).toBe("00000000-0000-0000-0000-000000000001");
    await completeExperiment(inWs, e.id, { winner: "B" });
    const completed = await eventsWhere("experiment.completed", "experimentId", e.id);
    expect(completed).toHaveLength(1);
    expect(completed[0]!.data).toMatchObject({ experimentId: e.id, winner: "B", promoted: null });
  });

  it("account.circuit_opened is stored with the health event that records the trip, instance-owned (no workspace)", async () => {
    clearHealthState();
    const model = `ev-circuit-${run}`;
    const a = await createAccount(inWs, { name: `ev-circuit-${run}`, provider: "simulator", models: [model] });
    invalidateRegistry();
    const first = (await pickAccounts(model))[0]!;
    for (let i = 0; i < 5; i++) reportFailure(first, new ProviderError("boom", { status: 500, code: "upstream_http_error", retryable: true, provider: "simulator" }));
    await writeHealthSnapshot();
    const health = await db.accountHealthEvent.findMany({ where: { accountId: a.id, kind: "circuit_open" } });
    const opened = await eventsWhere("account.circuit_opened", "accountId", a.id);
    expect(health).toHaveLength(1);
    expect(opened).toHaveLength(1);
    expect(opened[0]!.workspaceId).toBeNull();
    expect(opened[0]!.data).toMatchObject({ accountId: a.id, accountName: `ev-circuit-${run}`, model: expect.any(String) });
    clearHealthState();
  });
});
