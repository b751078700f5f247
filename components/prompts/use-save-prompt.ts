"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { createPromptAction, saveVersionAction } from "@/app/(console)/prompts/actions";
import { splitList } from "@/components/ui/format";
import type { PromptContentInput, VersionDiff } from "@/lib/prompts/schemas";
import { draftFromVersion } from "./draft";
import type { NewPromptMeta } from "./new-prompt-fields";
import { fetchDraftDiff, fetchVersion } from "./prompt-reads";
import { useEditorStore } from "./use-editor-store";

type SaveError = { message: string; param?: string | null };

type Args = {
  /** Null when creating a new prompt. */
  name: string | null;
  /** The draft as the API takes it; undefined while the draft has problems. */
  content: PromptContentInput | undefined;
  problems: Record<string, string>;
  /** Name, description, tags and the production label: only a new prompt sends them. */
  meta: NewPromptMeta;
  /** The newest version the server knows of: what a conflicted draft is compared with, kept on top of, or replaced by. */
  latest: number | null;
};

/**
 * Saving the editor's draft: creates the prompt, or saves a version on top of
 * the one the draft started from. A save that lost the race (someone else
 * saved first) keeps the draft and offers three ways out: compare it with the
 * newest version, keep it on top of that version, or discard it for that version.
 */
export function useSavePrompt({ name, content, problems, meta, latest }: Args) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const baseVersion = useEditorStore((s) => s.baseVersion);
  const commitMessage = useEditorStore((s) => s.commitMessage);
  const conflict = useEditorStore((s) => s.conflict);
  const store = useEditorStore.getState;
  const [saving, startSave] = useTransition();
  const [error, setError] = useState<SaveError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [conflictDiff, setConflictDiff] = useState<VersionDiff | null>(null);

  const save = () =>
    startSave(async () => {
      setError(null);
      setNotice(null);
      if (!content) return setError({ message: Object.values(problems).join("; ") });
      if (!name) {
        const r = await createPromptAction({
          ...content, name: meta.name, description: meta.description, commitMessage: commitMessage || "Initial version",
          tags: splitList(meta.tags), labels: meta.production ? ["production"] : [],
        });
        if (!r.ok) return setError(r.error);
        router.push(`/prompts/${r.data.name}`);
        return;
      }
      const r = await saveVersionAction({ name, ...content, commitMessage, baseVersion });
      if (!r.ok) {
        if (r.error.code === "conflict") {
          store().setConflict({ message: r.error.message });
          setConflictDiff(null);
          await queryClient.invalidateQueries({ queryKey: ["prompt", name] });
        } else setError(r.error);
        return;
      }
      store().saved(r.data.version);
      // The page re-renders with the saved version as its base: keep the draft instead of reloading it.
      useEditorStore.setState({ key: `${name}@${r.data.version}:${r.data.version}` });
      setNotice(`Saved version ${r.data.version}.`);
      await queryClient.invalidateQueries({ queryKey: ["prompt", name] });
      router.refresh();
    });

  const compareWithLatest = async () => {
    if (!name || !latest || !content) return;
    setConflictDiff(await fetchDraftDiff(name, latest, content));
  };
  const keepDraft = () => {
    if (latest) store().rebase(latest);
  };
  const discardAndLoad = async () => {
    if (!name || !latest) return;
    if (!window.confirm(`Discard your unsaved draft and load version ${latest}?`)) return;
    const v = await fetchVersion(name, latest);
    store().load(`${name}@${latest}:${latest}`, draftFromVersion(v), latest, true);
    setConflictDiff(null);
  };
  /** Editing the field an error is about answers it. */
  const clearError = (param: string) => {
    if (error?.param === param) setError(null);
  };

  return { save, saving, error, clearError, notice, conflict, conflictDiff, compareWithLatest, keepDraft, discardAndLoad };
}
