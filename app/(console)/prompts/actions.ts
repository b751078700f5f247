"use server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { authedAction } from "@/lib/auth";
import { createPrompt, createPromptVersion, deleteGlobalVariable, deleteLabel, moveLabel, setGlobalVariable, updatePrompt } from "@/lib/prompts";
import { createPromptInput, createPromptVersionInput, globalVariableInput, labelName, moveLabelInput, updatePromptInput } from "@/lib/prompts/schemas";

// The console's writes for prompts, audited in the domain. Reads (the prompt,
// a version, diffs, the live preview, a playground run's numbers) are routes
// under app/api/console. The prompt's name travels beside the domain's fields,
// so a bad field is named as the editor names it (`messages.0.content`).

const name = z.string().min(1).max(100);

const refresh = <T,>(promptName: string | null, r: T) => {
  revalidatePath("/prompts");
  if (promptName) revalidatePath(`/prompts/${promptName}`, "layout");
  return r;
};

export const createPromptAction = authedAction("editor", createPromptInput, async (actor, input, ip) => {
  const v = await createPrompt(actor, input, ip);
  return refresh(v.name, { name: v.name, version: v.version });
});

export const saveVersionAction = authedAction("editor", z.intersection(z.object({ name }), createPromptVersionInput), async (actor, { name, ...body }, ip) => {
  const saved = await createPromptVersion(actor, name, body, ip);
  return refresh(name, { version: saved.version });
});

export const moveLabelAction = authedAction("editor", moveLabelInput.extend({ name, label: labelName }), async (actor, { name, label, ...to }, ip) =>
  refresh(name, await moveLabel(actor, name, label, to, ip)),
);

export const deleteLabelAction = authedAction("editor", z.object({ name, label: labelName }), async (actor, { name, label }, ip) => {
  await deleteLabel(actor, name, label, ip);
  return refresh(name, { label });
});

export const updatePromptAction = authedAction("editor", updatePromptInput.extend({ name }), async (actor, { name, ...patch }, ip) => {
  await updatePrompt(actor, name, patch, ip);
  return refresh(name, { name });
});

export const setGlobalAction = authedAction("admin", globalVariableInput, async (actor, input, ip) => {
  const g = await setGlobalVariable(actor, input, ip);
  revalidatePath("/prompts/globals");
  return { name: g.name };
});

export const deleteGlobalAction = authedAction("admin", z.string().min(1).max(64), async (actor, n, ip) => {
  await deleteGlobalVariable(actor, n, ip);
  revalidatePath("/prompts/globals");
  return { name: n };
});
