import "server-only";
import type { z } from "zod";
import { db, Prisma, type DbClient } from "@/lib/db";
import { withAudit } from "@/lib/audit";
import { actorOf, workspaceOf, type Principal } from "@/lib/core";
import { AppError } from "@/lib/core";
import { recordEvent } from "@/lib/events";
import { assertMayChangeWhatLabelServes, moveLabel } from "@/lib/prompts";
import { invalidateExperiments } from "./registry";
import {
  changeWeightsInput, completeExperimentInput, createExperimentInput, type lifecycleStep,
  type ExperimentListItem, type ExperimentStatus, type ExperimentView, type PhaseView, type VariantOverrides,
} from "./schemas";

// Experiments and their lifecycle. Invariants:
// - draft → running ⇄ paused → completed; completed is final. Each step is one
//   audited transaction and then invalidates every instance's assignment cache.
// - At most one running or paused experiment per prompt and label: a partial
//   unique index enforces it, so two concurrent starts cannot both succeed (409).
// - Phases are append-only while an experiment is live: changing weights ends
//   the current phase and starts the next with copied variants, because a
//   comparison that spans a weight change is biased (Simpson's paradox).
// - A variant's version belongs to the experiment's prompt (checked on create);
//   versions are immutable, so the variant's content can never change under it.
// - A running experiment changes what its label serves, so on a protected label
//   creating, starting, resuming and re-weighting it (the variants' versions,
//   weights and model overrides) are admin actions. lib/prompts owns that rule;
//   this module only asks it, inside the step's transaction, before anything is
//   written (a refusal leaves no audit entry). Pausing, completing without
//   promoting and deleting a draft only stop a split, so editors keep them.
// - Promoting the winner moves the label through lib/prompts' moveLabel, which
//   audits the move, enforces protected labels (admins only) and invalidates
//   the prompt caches; the experiment is completed only after the move succeeds.

const notFound = (id: string) => new AppError("not_found", `Experiment '${id}' not found`, { extra: { code: "experiment_not_found" } });

const json = (v: unknown) => JSON.parse(JSON.stringify(v)) as Prisma.InputJsonValue;

const withPhases = {
  phases: { orderBy: { number: "asc" }, include: { variants: { orderBy: { position: "asc" } } } },
} satisfies Prisma.ExperimentInclude;
type ExperimentRow = Prisma.ExperimentGetPayload<{ include: typeof withPhases }>;

function toView(e: ExperimentRow, promptName: string): ExperimentView {
  return {
    id: e.id, name: e.name, promptId: e.promptId, promptName, label: e.label, status: e.status, hypothesis: e.hypothesis,
    primaryMetric: e.primaryMetric, higherIsBetter: e.higherIsBetter, minDetectableEffect: e.minDetectableEffect, demo: e.demo,
    createdByEmail: e.createdByEmail, winnerVariantName: e.winnerVariantName,
    startedAt: e.startedAt?.toISOString() ?? null, completedAt: e.completedAt?.toISOString() ?? null, createdAt: e.createdAt.toISOString(),
    phases: e.phases.map(
      (p): PhaseView => ({
        id: p.id, number: p.number, reason: p.reason, startedAt: p.startedAt?.toISOString() ?? null, endedAt: p.endedAt?.toISOString() ?? null,
        variants: p.variants.map((v) => ({
          id: v.id, name: v.name, promptVersion: v.promptVersion, weight: v.weight, isControl: v.isControl, overrides: (v.overrides ?? {}) as VariantOverrides,
        })),
      }),
    ),
  };
}

async function promptNames(ids: string[]): Promise<Map<string, string>> {
  const rows = await db.prompt.findMany({ where: { id: { in: [...new Set(ids)] } }, select: { id: true, name: true } });
  return new Map(rows.map((r) => [r.id, r.name]));
}

// -------------------------------------------------------------------- reads

/** One experiment of the workspace; another workspace's id is not found (404, never 403). */
export async function getExperiment(workspaceId: string, id: string, client: DbClient = db): Promise<ExperimentView> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound(id);
  const e = await client.experiment.findFirst({ where: { id, workspaceId }, include: withPhases });
  if (!e) throw notFound(id);
  const prompt = await client.prompt.findUnique({ where: { id: e.promptId }, select: { name: true } });
  return toView(e, prompt?.name ?? "(deleted prompt)");
}

export async function listExperiments(workspaceId: string, filter: { status?: ExperimentStatus; prompt?: string } = {}): Promise<ExperimentListItem[]> {
  const rows = await db.experiment.findMany({
    where: { workspaceId, ...(filter.status ? { status: filter.status } : {}) },
    orderBy: [{ createdAt: "desc" }],
    take: 500,
    include: { phases: { orderBy: { number: "desc" }, take: 1, include: { variants: { orderBy: { position: "asc" }, select: { name: true } } } } },
  });
  const names = await promptNames(rows.map((r) => r.promptId));
  const counts = await db.experimentExposure.groupBy({ by: ["experimentId"], where: { experimentId: { in: rows.map((r) => r.id) } }, _count: { _all: true } });
  const requests = new Map(counts.map((c) => [c.experimentId, c._count._all]));
  return rows
    .map((r) => ({
      id: r.id, name: r.name, promptName: names.get(r.promptId) ?? "(deleted prompt)", label: r.label, status: r.status, primaryMetric: r.primaryMetric,
      demo: r.demo, startedAt: r.startedAt?.toISOString() ?? null, completedAt: r.completedAt?.toISOString() ?? null, createdAt: r.createdAt.toISOString(),
      winnerVariantName: r.winnerVariantName, phase: r.phases[0]?.number ?? 1, variants: r.phases[0]?.variants.map((v) => v.name) ?? [],
      requests: requests.get(r.id) ?? 0,
    }))
    .filter((r) => !filter.prompt || r.promptName === filter.prompt);
}

// ---------------------------------------------------------------- mutations

function activeClash(e: unknown, prompt: string, label: string): unknown {
  const code = (e as { code?: unknown })?.code;
  const message = String((e as { message?: unknown })?.message ?? "");
  if (code === "P2002" || message.includes("Experiment_active_prompt_label_key")) {
    return new AppError("conflict", `'${prompt}' already has a running or paused experiment on label '${label}'; complete it first`, { param: "label" });
  }
  return e;
}

export async function createExperiment(actor: Principal, input: unknown, ip?: string | null): Promise<ExperimentView> {
  const data = createExperimentInput.parse(input);
  const workspaceId = workspaceOf(actor);
  const prompt = await db.prompt.findUnique({ where: { workspaceId_name: { workspaceId, name: data.prompt } }, select: { id: true, name: true } });
  if (!prompt) throw new AppError("not_found", `Prompt '${data.prompt}' not found`, { param: "prompt", extra: { code: "prompt_not_found" } });
  await assertMayChangeWhatLabelServes(actor, { id: prompt.id }, data.label, "create an experiment on it");
  const label = await db.promptLabel.findUnique({ where: { promptId_name: { promptId: prompt.id, name: data.label } }, select: { id: true } });
  if (!label) throw new AppError("bad_request", `Prompt '${prompt.name}' has no label '${data.label}' to experiment on`, { param: "label" });
  const versions = await db.promptVersion.findMany({
    where: { promptId: prompt.id, version: { in: data.variants.map((v) => v.version) } },
    select: { id: true, version: true },
  });
  const byNumber = new Map(versions.map((v) => [v.version, v.id]));
  data.variants.forEach((v, i) => {
    if (!byNumber.has(v.version)) {
      throw new AppError("bad_request", `Prompt '${prompt.name}' has no version ${v.version}`, { param: `variants.${i}.version` });
    }
  });
  // Without an explicit control the first variant is the control.
  const controlIndex = Math.max(0, data.variants.findIndex((v) => v.control));
  const who = actorOf(actor);
  const id = await withAudit(actor, { action: "experiment.create", targetType: "experiment", ip }, async (tx) => {
    const e = await tx.experiment.create({
      data: {
        workspaceId,
        name: data.name, promptId: prompt.id, label: data.label, hypothesis: data.hypothesis, primaryMetric: data.primaryMetric,
        higherIsBetter: data.higherIsBetter, minDetectableEffect: data.minDetectableEffect,
        createdById: who.actorId, createdByEmail: who.actorEmail,
        phases: { create: { number: 1, reason: "launch" } },
      },
      include: { phases: true },
    });
    await tx.experimentVariant.createMany({
      data: data.variants.map((v, i) => ({
        experimentId: e.id, phaseId: e.phases[0]!.id, name: v.name, position: i, promptVersionId: byNumber.get(v.version)!, promptVersion: v.version,
        overrides: json(v.overrides), weight: v.weight, isControl: i === controlIndex,
      })),
    });
    return { result: e.id, targetId: e.id, after: { name: data.name, prompt: prompt.name, label: data.label, variants: data.variants } };
  });
  return getExperiment(workspaceOf(actor), id);
}

/** `serves`: the step makes the experiment split its label's traffic again (protected labels: admins only). */
type Transition = { from: ExperimentStatus[]; to: ExperimentStatus; action: string; serves: boolean };
const transitions = {
  start: { from: ["draft"], to: "running", action: "experiment.start", serves: true },
  pause: { from: ["running"], to: "paused", action: "experiment.pause", serves: false },
  resume: { from: ["paused"], to: "running", action: "experiment.resume", serves: true },
} satisfies Record<z.output<typeof lifecycleStep>, Transition>;
export type LifecycleStep = keyof typeof transitions;

async function lockExperiment(tx: DbClient, actor: Principal, id: string) {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound(id);
  // Serialises lifecycle steps on one experiment: each reads the status it checks under the lock.
  const rows = await tx.$queryRaw<{ id: string; status: ExperimentStatus; promptId: string; label: string }[]>`
    SELECT "id", "status"::text AS "status", "promptId", "label" FROM "Experiment" WHERE "id" = ${id}::uuid AND "workspaceId" = ${workspaceOf(actor)}::uuid FOR UPDATE`;
  const row = rows[0];
  if (!row) throw notFound(id);
  return row;
}

async function promptNameOf(promptId: string): Promise<string> {
  return (await db.prompt.findUnique({ where: { id: promptId }, select: { name: true } }))?.name ?? "";
}

/** start, pause or resume. */
export async function stepExperiment(actor: Principal, id: string, step: LifecycleStep, ip?: string | null): Promise<ExperimentView> {
  if (!Object.hasOwn(transitions, step)) throw new AppError("bad_request", `Unknown lifecycle step '${String(step)}'`, { param: "step" });
  const t: Transition = transitions[step];
  let prompt = "";
  let label = "";
  try {
    await withAudit(actor, { action: t.action, targetType: "experiment", ip }, async (tx) => {
      const row = await lockExperiment(tx, actor, id);
      prompt = await promptNameOf(row.promptId);
      label = row.label;
      if (t.serves) await assertMayChangeWhatLabelServes(actor, { id: row.promptId }, row.label, `${step} an experiment on it`, tx);
      if (!t.from.includes(row.status)) {
        throw new AppError("conflict", `Cannot ${step} an experiment that is ${row.status}`, { param: "status" });
      }
      const now = new Date();
      const e = await tx.experiment.update({ where: { id }, data: { status: t.to, ...(step === "start" ? { startedAt: now } : {}) }, select: { name: true } });
      if (step === "start") {
        await tx.experimentPhase.updateMany({ where: { experimentId: id, number: 1 }, data: { startedAt: now } });
        // In the step's transaction: the event is told if and only if the experiment started (lib/events).
        await recordEvent({ type: "experiment.started", workspaceId: workspaceOf(actor), data: { experimentId: id, name: e.name, prompt, label: row.label, startedAt: now.toISOString() } }, tx);
      }
      return { result: undefined, targetId: id, before: { status: row.status }, after: { status: t.to } };
    });
  } catch (e) {
    throw activeClash(e, prompt, label);
  }
  await invalidateExperiments(workspaceOf(actor), prompt);
  return getExperiment(workspaceOf(actor), id);
}

/**
 * New weights. A draft's weights change in place; a running or paused experiment
 * ends its current phase and starts the next one with the same variants.
 */
export async function changeWeights(actor: Principal, id: string, input: unknown, ip?: string | null): Promise<ExperimentView> {
  const { weights } = changeWeightsInput.parse(input);
  let prompt = "";
  await withAudit(actor, { action: "experiment.weights", targetType: "experiment", ip }, async (tx) => {
    const row = await lockExperiment(tx, actor, id);
    prompt = await promptNameOf(row.promptId);
    await assertMayChangeWhatLabelServes(actor, { id: row.promptId }, row.label, "change the weights of an experiment on it", tx);
    if (row.status === "completed") throw new AppError("conflict", "A completed experiment cannot change", { param: "status" });
    const phase = await tx.experimentPhase.findFirst({ where: { experimentId: id }, orderBy: { number: "desc" }, include: { variants: { orderBy: { position: "asc" } } } });
    if (!phase) throw notFound(id);
    for (const name of Object.keys(weights)) {
      if (!phase.variants.some((v) => v.name === name)) throw new AppError("bad_request", `No variant named '${name}'`, { param: `weights.${name}` });
    }
    const next = phase.variants.map((v) => ({ ...v, weight: weights[v.name] ?? v.weight }));
    if (next.filter((v) => v.weight > 0).length < 2) throw new AppError("bad_request", "At least two variants need a weight above 0", { param: "weights" });
    if (!next.some((v) => v.isControl && v.weight > 0)) throw new AppError("bad_request", "The control needs a weight above 0", { param: "weights" });
    const before = Object.fromEntries(phase.variants.map((v) => [v.name, v.weight]));
    const after = Object.fromEntries(next.map((v) => [v.name, v.weight]));
    if (row.status === "draft") {
      for (const v of next) await tx.experimentVariant.update({ where: { id: v.id }, data: { weight: v.weight } });
      return { result: undefined, targetId: id, before: { weights: before }, after: { weights: after } };
    }
    const now = new Date();
    await tx.experimentPhase.update({ where: { id: phase.id }, data: { endedAt: now } });
    const created = await tx.experimentPhase.create({ data: { experimentId: id, number: phase.number + 1, reason: "weights", startedAt: now } });
    await tx.experimentVariant.createMany({
      data: next.map((v) => ({
        experimentId: id, phaseId: created.id, name: v.name, position: v.position, promptVersionId: v.promptVersionId, promptVersion: v.promptVersion,
        overrides: json(v.overrides), weight: v.weight, isControl: v.isControl,
      })),
    });
    return { result: undefined, targetId: id, before: { phase: phase.number, weights: before }, after: { phase: phase.number + 1, weights: after } };
  });
  await invalidateExperiments(workspaceOf(actor), prompt);
  return getExperiment(workspaceOf(actor), id);
}

/** Completes a running or paused experiment, optionally naming a winner and moving the label to its version. */
export async function completeExperiment(actor: Principal, id: string, input: unknown, ip?: string | null): Promise<ExperimentView> {
  const data = completeExperimentInput.parse(input);
  if (data.promote && !data.winner) throw new AppError("bad_request", "Name the winner to promote", { param: "winner" });
  const current = await getExperiment(workspaceOf(actor), id);
  if (current.status !== "running" && current.status !== "paused") {
    throw new AppError("conflict", `Cannot complete an experiment that is ${current.status}`, { param: "status" });
  }
  const phase = current.phases.at(-1)!;
  const winner = data.winner ? phase.variants.find((v) => v.name === data.winner) : undefined;
  if (data.winner && !winner) throw new AppError("bad_request", `No variant named '${data.winner}'`, { param: "winner" });
  // The label moves first, through the prompts domain (audited, protected labels, cache
  // invalidation). If it is refused, the experiment keeps running and nothing changed.
  if (data.promote && winner) {
    await moveLabel(actor, current.promptName, current.label, { version: winner.promptVersion }, ip);
  }
  await withAudit(actor, { action: "experiment.complete", targetType: "experiment", ip }, async (tx) => {
    const row = await lockExperiment(tx, actor, id);
    if (row.status !== "running" && row.status !== "paused") {
      throw new AppError("conflict", `Cannot complete an experiment that is ${row.status}`, { param: "status" });
    }
    const now = new Date();
    await tx.experiment.update({ where: { id }, data: { status: "completed", completedAt: now, winnerVariantName: winner?.name ?? null } });
    await tx.experimentPhase.updateMany({ where: { experimentId: id, endedAt: null }, data: { endedAt: now } });
    await recordEvent({
      type: "experiment.completed", workspaceId: workspaceOf(actor),
      data: {
        experimentId: id, name: current.name, prompt: current.promptName, label: current.label, winner: winner?.name ?? null,
        promoted: data.promote && winner ? { label: current.label, version: winner.promptVersion } : null, completedAt: now.toISOString(),
      },
    }, tx);
    return {
      result: undefined,
      targetId: id,
      before: { status: row.status },
      after: { status: "completed", winner: winner?.name ?? null, promoted: data.promote ? { label: current.label, version: winner?.promptVersion } : null },
    };
  });
  await invalidateExperiments(workspaceOf(actor), current.promptName);
  return getExperiment(workspaceOf(actor), id);
}

/** Deletes a draft (nothing was served from it yet). */
export async function deleteExperiment(actor: Principal, id: string, ip?: string | null): Promise<void> {
  await withAudit(actor, { action: "experiment.delete", targetType: "experiment", ip }, async (tx) => {
    const row = await lockExperiment(tx, actor, id);
    if (row.status !== "draft") throw new AppError("conflict", "Only a draft can be deleted; complete a started experiment instead", { param: "status" });
    const e = await tx.experiment.delete({ where: { id } });
    return { result: undefined, targetId: id, before: { name: e.name, status: e.status } };
  });
}
