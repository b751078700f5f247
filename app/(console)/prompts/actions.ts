"use server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { authedAction } from "@/lib/auth";
import {
  createPrompt, createPromptVersion, deleteGlobalVariable, deleteLabel, diffDraft, diffVersions, getPrompt, getVersion, moveLabel,
  playgroundRun, previewDraft, setGlobalVariable, updatePrompt,
} from "@/lib/prompts";

// The console's reads and writes for prompts. Reads back TanStack Query in the
// editor, history and diff views; writes are audited in the domain. Everything
// from the browser is parsed here or in the domain before it is used.

const name = z.string().min(1).max(100);
const version = z.number().int().positive();

const refresh = <T,>(promptName: string | null, r: T) => {
  revalidatePath("/prompts");
  if (promptName) revalidatePath(`/prompts/${promptName}`, "layout");
  return r;
};

export const getPromptAction = authedAction("viewer", async (_actor, input: unknown) => getPrompt(name.parse(input)));

export const getVersionAction = authedAction("viewer", async (_actor, input: unknown) => {
  const v = z.object({ name, version }).parse(input);
  return getVersion(v.name, v.version);
});

export const previewAction = authedAction("viewer", async (_actor, input: unknown) => {
  const v = z.object({ draft: z.unknown(), values: z.record(z.string(), z.unknown()) }).parse(input);
  return previewDraft(v.draft, v.values);
});

export const diffAction = authedAction("viewer", async (_actor, input: unknown) => {
  const v = z.object({ name, from: version, to: version }).parse(input);
  return diffVersions(v.name, { from: v.from, to: v.to });
});

export const diffDraftAction = authedAction("viewer", async (_actor, input: unknown) => {
  const v = z.object({ name, against: version, draft: z.unknown() }).parse(input);
  return diffDraft(v.name, v.against, v.draft);
});

export const createPromptAction = authedAction("editor", async (actor, input: unknown, ip) => {
  const v = await createPrompt(actor, input, ip);
  return refresh(v.name, { name: v.name, version: v.version });
});

export const saveVersionAction = authedAction("editor", async (actor, input: unknown, ip) => {
  const v = z.object({ name, body: z.unknown() }).parse(input);
  const saved = await createPromptVersion(actor, v.name, v.body, ip);
  return refresh(v.name, { version: saved.version });
});

export const moveLabelAction = authedAction("editor", async (actor, input: unknown, ip) => {
  const v = z.object({ name, label: z.string(), version }).parse(input);
  return refresh(v.name, await moveLabel(actor, v.name, v.label, { version: v.version }, ip));
});

export const deleteLabelAction = authedAction("editor", async (actor, input: unknown, ip) => {
  const v = z.object({ name, label: z.string() }).parse(input);
  await deleteLabel(actor, v.name, v.label, ip);
  return refresh(v.name, { label: v.label });
});

export const updatePromptAction = authedAction("editor", async (actor, input: unknown, ip) => {
  const v = z.object({ name, patch: z.unknown() }).parse(input);
  await updatePrompt(actor, v.name, v.patch, ip);
  return refresh(v.name, { name: v.name });
});

export const setGlobalAction = authedAction("admin", async (actor, input: unknown, ip) => {
  const g = await setGlobalVariable(actor, input, ip);
  revalidatePath("/prompts/globals");
  return { name: g.name };
});

export const deleteGlobalAction = authedAction("admin", async (actor, input: unknown, ip) => {
  const n = z.string().min(1).max(64).parse(input);
  await deleteGlobalVariable(actor, n, ip);
  revalidatePath("/prompts/globals");
  return { name: n };
});

export const playgroundRunAction = authedAction("editor", async (_actor, input: unknown) =>
  playgroundRun(z.string().regex(/^chatcmpl-[\w-]+$/).parse(input)),
);
