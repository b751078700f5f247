"use server";
import { revalidatePath } from "next/cache";
import { authedAction } from "@/lib/auth";
import {
  changeWeights, completeExperiment, createExperiment, deleteExperiment, recordFeedback, stepExperiment, type LifecycleStep,
} from "@/lib/experiments";

// Every experiment mutation needs the editor role; the domain writes the audit entry.

export const createExperimentAction = authedAction("editor", async (actor, input: unknown, ip) => {
  const e = await createExperiment(actor, input, ip);
  revalidatePath("/experiments");
  return { id: e.id };
});

export const stepExperimentAction = authedAction("editor", async (actor, input: { id: string; step: LifecycleStep }, ip) => {
  const e = await stepExperiment(actor, input.id, input.step, ip);
  revalidatePath("/experiments");
  return { status: e.status };
});

export const changeWeightsAction = authedAction("editor", async (actor, input: { id: string; weights: Record<string, number> }, ip) => {
  const e = await changeWeights(actor, input.id, { weights: input.weights }, ip);
  revalidatePath("/experiments");
  return { phase: e.phases.at(-1)?.number ?? 1 };
});

export const completeExperimentAction = authedAction("editor", async (actor, input: { id: string; winner?: string; promote?: boolean }, ip) => {
  const e = await completeExperiment(actor, input.id, { winner: input.winner, promote: input.promote ?? false }, ip);
  revalidatePath("/experiments");
  revalidatePath("/prompts");
  return { status: e.status, winner: e.winnerVariantName };
});

export const deleteExperimentAction = authedAction("editor", async (actor, id: string, ip) => {
  await deleteExperiment(actor, id, ip);
  revalidatePath("/experiments");
  return { id };
});

export const recordFeedbackAction = authedAction("editor", async (actor, input: unknown, ip) => {
  const f = await recordFeedback(actor, input, ip);
  return { name: f.name, value: f.value };
});
