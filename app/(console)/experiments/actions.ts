"use server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { authedAction } from "@/lib/auth";
import { changeWeights, completeExperiment, createExperiment, deleteExperiment, recordFeedback, stepExperiment } from "@/lib/experiments";
import { changeWeightsInput, completeExperimentInput, createExperimentInput, feedbackInput, lifecycleStep } from "@/lib/experiments/schemas";

// Every experiment mutation needs the editor role; the domain writes the audit entry.

const experimentId = z.string().uuid("must be an experiment id");

export const createExperimentAction = authedAction("editor", createExperimentInput, async (actor, input, ip) => {
  const e = await createExperiment(actor, input, ip);
  revalidatePath("/experiments");
  return { id: e.id };
});

export const stepExperimentAction = authedAction("editor", z.object({ id: experimentId, step: lifecycleStep }), async (actor, { id, step }, ip) => {
  const e = await stepExperiment(actor, id, step, ip);
  revalidatePath("/experiments");
  return { status: e.status };
});

export const changeWeightsAction = authedAction("editor", changeWeightsInput.extend({ id: experimentId }), async (actor, { id, ...weights }, ip) => {
  const e = await changeWeights(actor, id, weights, ip);
  revalidatePath("/experiments");
  return { phase: e.phases.at(-1)?.number ?? 1 };
});

export const completeExperimentAction = authedAction("editor", completeExperimentInput.extend({ id: experimentId }), async (actor, { id, ...choice }, ip) => {
  const e = await completeExperiment(actor, id, choice, ip);
  revalidatePath("/experiments");
  revalidatePath("/prompts");
  return { status: e.status, winner: e.winnerVariantName };
});

export const deleteExperimentAction = authedAction("editor", experimentId, async (actor, id, ip) => {
  await deleteExperiment(actor, id, ip);
  revalidatePath("/experiments");
  return { id };
});

export const recordFeedbackAction = authedAction("editor", feedbackInput, async (actor, input, ip) => {
  const f = await recordFeedback(actor, input, ip);
  return { name: f.name, value: f.value };
});
