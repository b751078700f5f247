"use client";
import dynamic from "next/dynamic";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useId, useMemo, useState } from "react";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { messageRoles, type PromptContentInput, type PromptDetail, type VersionView } from "@/lib/prompts/schemas";
import { ConflictPanel } from "./conflict-panel";
import { draftFromVersion, draftToContent, emptyDraft } from "./draft";
import { draftStorageKey } from "./draft-storage";
import { ModelConfigForm } from "./model-config-form";
import { emptyNewPromptMeta, NewPromptFields } from "./new-prompt-fields";
import { PlaygroundPanel, type PlaygroundAccount } from "./playground-panel";
import { PreviewPanel, sampleValues } from "./preview-panel";
import { inputClass as input } from "./styles";
import { fetchIncludeTargets, fetchPreview, fetchPrompt } from "./prompt-reads";
import { RestoreDraftBanner } from "./restore-draft-banner";
import { useDraftPersistence } from "./use-draft-persistence";
import { useDebounced } from "./use-debounced";
import { useEditorStore } from "./use-editor-store";
import { useSavePrompt } from "./use-save-prompt";
import { VariablesEditor } from "./variables-editor";

// CodeMirror touches the DOM: render it on the client only.
const TemplateEditor = dynamic(() => import("./template-editor").then((m) => m.TemplateEditor), {
  ssr: false,
  loading: () => <div className="h-16 animate-pulse rounded-md border border-slate-200 dark:border-slate-800" />,
});

type Props = {
  /** Null when creating a new prompt. */
  detail: PromptDetail | null;
  /** The content to start from: the latest version, or an older one opened from the history. */
  version: VersionView | null;
  /** The newest version when the page loaded: what a save must build on. */
  baseVersion: number | null;
  canEdit: boolean;
  isAdmin: boolean;
  accounts: PlaygroundAccount[];
  models: string[];
  globals: string[];
  /** The signed-in user's workspace: unsaved drafts are kept per workspace, prompt and version. */
  workspaceId: string;
};

export function PromptEditor({ detail: initialDetail, version, baseVersion: pageBase, canEdit, isAdmin, accounts, models, globals, workspaceId }: Props) {
  const name = initialDetail?.name ?? null;
  const storeKey = name ? `${name}@${pageBase ?? 0}:${version?.version ?? 0}` : "new";
  const load = useEditorStore((s) => s.load);
  useEffect(() => {
    load(storeKey, version ? draftFromVersion(version) : emptyDraft(), pageBase);
  }, [load, storeKey, version, pageBase]);
  // Only for a saved prompt: a new one has no name to keep its draft under yet.
  const storageKey = name && canEdit ? draftStorageKey(workspaceId, name, version?.version ?? null) : null;
  useDraftPersistence(storageKey, storeKey);

  const detailQuery = useQuery({
    queryKey: ["prompt", name],
    queryFn: ({ signal }) => fetchPrompt(name!, signal),
    initialData: initialDetail ?? undefined,
    enabled: !!name,
  });
  const detail = detailQuery.data ?? null;

  const draft = useEditorStore((s) => s.draft);
  const samples = useEditorStore((s) => s.samples);
  const baseVersion = useEditorStore((s) => s.baseVersion);
  const dirty = useEditorStore((s) => s.dirty);
  const commitMessage = useEditorStore((s) => s.commitMessage);
  const store = useEditorStore.getState;

  const { content, problems } = useMemo(() => draftToContent(draft), [draft]);
  const sample = useMemo(() => sampleValues(draft.variables, samples), [draft.variables, samples]);
  const previewInput = useDebounced(JSON.stringify({ draft: content ?? null, values: sample.values, prompt: name }), 250);
  const preview = useQuery({
    queryKey: ["prompt-preview", previewInput],
    queryFn: ({ signal }) => fetchPreview(JSON.parse(previewInput) as { draft: PromptContentInput; values: Record<string, unknown>; prompt: string | null }, signal),
    placeholderData: keepPreviousData,
    enabled: !!content,
  });

  // Another prompt's name and labels after "{{>" (an include); a prompt does not include itself.
  const includeTargets = useQuery({ queryKey: ["prompt-refs"], queryFn: ({ signal }) => fetchIncludeTargets(signal), staleTime: 30_000, enabled: canEdit });
  const targets = useMemo(() => (includeTargets.data ?? []).filter((t) => t.name !== name), [includeTargets.data, name]);

  const declared = draft.variables.map((v) => v.name.trim()).filter(Boolean);
  const completions = [...new Set([...declared, ...globals])];
  const byIncludes = preview.data?.ok ? (preview.data.declared ?? []) : [];
  const undeclared = preview.data ? preview.data.used.filter((u) => !declared.includes(u) && !globals.includes(u) && !byIncludes.includes(u)) : [];

  const commitId = useId();
  const [meta, setMeta] = useState(emptyNewPromptMeta);
  const latest = detail?.versions[0]?.version ?? null;
  const { save, saving, error, clearError, notice, conflict, conflictDiff, compareWithLatest, keepDraft, discardAndLoad } = useSavePrompt({ name, content, problems, meta, latest });

  const readOnly = !canEdit;
  const messageError = (i: number) => (error?.param === `messages.${i}.content` ? error.message : null);

  return (
    <div className="grid gap-6 xl:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
      <div className="space-y-6">
        <RestoreDraftBanner storageKey={storageKey} />
        {!name && (
          <NewPromptFields
            meta={meta}
            onChange={(next) => {
              if (next.name !== meta.name) clearError("name");
              setMeta(next);
            }}
            nameInvalid={error?.param === "name"}
            isAdmin={isAdmin}
          />
        )}

        <Card title="Template">
          <fieldset disabled={readOnly} className="mb-3 flex gap-4 text-sm">
            <legend className="sr-only">Prompt type</legend>
            {(["chat", "text"] as const).map((t) => (
              <label key={t} className="flex items-center gap-1.5">
                <input type="radio" name="prompt-type" checked={draft.type === t} onChange={() => store().setType(t)} />
                {t === "chat" ? "Chat messages" : "Plain text"}
              </label>
            ))}
          </fieldset>
          {draft.type === "chat" ? (
            <ol className="space-y-4">
              {draft.messages.map((m, i) => (
                <li key={m.id} className="space-y-1" data-testid={`message-${i}`}>
                  <div className="flex flex-wrap items-center gap-2">
                    <label className="text-sm font-medium" htmlFor={`${m.id}-role`}>Message {i + 1}</label>
                    <select id={`${m.id}-role`} aria-label={`Role of message ${i + 1}`} disabled={readOnly} className="rounded border border-slate-300 bg-white px-2 py-0.5 text-sm dark:border-slate-600 dark:bg-slate-900" value={m.role} onChange={(e) => store().updateMessage(m.id, { role: e.target.value as typeof m.role })}>
                      {messageRoles.map((r) => <option key={r} value={r}>{r}</option>)}
                    </select>
                    {!readOnly && (
                      <span className="ml-auto flex gap-1">
                        <Button variant="ghost" size="sm" onClick={() => store().moveMessage(m.id, -1)} disabled={i === 0}>Up<span className="sr-only"> message {i + 1}</span></Button>
                        <Button variant="ghost" size="sm" onClick={() => store().moveMessage(m.id, 1)} disabled={i === draft.messages.length - 1}>Down<span className="sr-only"> message {i + 1}</span></Button>
                        <Button variant="ghost" size="sm" onClick={() => store().removeMessage(m.id)} disabled={draft.messages.length === 1}>Remove<span className="sr-only"> message {i + 1}</span></Button>
                      </span>
                    )}
                  </div>
                  <TemplateEditor value={m.content} onChange={(v) => store().updateMessage(m.id, { content: v })} label={`Message ${i + 1} content`} variables={completions} includeTargets={targets} readOnly={readOnly} testId={`message-editor-${i}`} />
                  {messageError(i) && <p role="alert" className="text-xs text-red-700 dark:text-red-400">{messageError(i)}</p>}
                </li>
              ))}
            </ol>
          ) : (
            <TemplateEditor value={draft.text} onChange={(v) => store().setText(v)} label="Prompt text" variables={completions} includeTargets={targets} readOnly={readOnly} testId="text-editor" />
          )}
          {draft.type === "chat" && !readOnly && (
            <Button variant="secondary" size="sm" className="mt-3" onClick={() => store().addMessage()}>Add message</Button>
          )}
          {undeclared.length > 0 && (
            <div role="status" className="mt-3 rounded-md border border-amber-300 bg-amber-50 p-2 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100" data-testid="undeclared-warnings">
              <p className="font-medium">Used but not declared:</p>
              <ul className="mt-1 flex flex-wrap gap-2">
                {undeclared.map((u) => (
                  <li key={u} className="flex items-center gap-1">
                    <code className="font-mono">{u}</code>
                    {!readOnly && <Button variant="ghost" size="sm" onClick={() => store().addVariable(u)}>Declare<span className="sr-only"> {u}</span></Button>}
                  </li>
                ))}
              </ul>
            </div>
          )}
        </Card>

        <Card>
          <VariablesEditor readOnly={readOnly} />
        </Card>
        <Card>
          <ModelConfigForm readOnly={readOnly} models={models} problems={problems} />
        </Card>

        {canEdit && (
          <Card title={name ? "Save a new version" : "Create the prompt"}>
            <div className="flex flex-wrap items-end gap-3">
              <div className="min-w-64 flex-1">
                <label htmlFor={commitId} className="mb-1 block text-sm font-medium">Commit message</label>
                <input id={commitId} className={input} value={commitMessage} onChange={(e) => store().setCommitMessage(e.target.value)} placeholder={name ? "What changed and why" : "Initial version"} aria-invalid={error?.param === "commitMessage" ? true : undefined} />
              </div>
              <Button onClick={save} disabled={saving || (!!name && !commitMessage.trim())}>
                {saving ? "Saving…" : name ? "Save version" : "Create prompt"}
              </Button>
            </div>
            <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">
              {name ? `Editing on top of version ${baseVersion ?? "—"}${dirty ? " · unsaved changes" : ""}. Versions are immutable; saving moves the latest label.` : ""}
            </p>
            {error && <p role="alert" className="mt-2 text-sm text-red-700 dark:text-red-400">{error.message}</p>}
            {notice && <p role="status" className="mt-2 text-sm text-emerald-800 dark:text-emerald-300">{notice}</p>}
            <ConflictPanel conflict={conflict} latest={latest} diff={conflictDiff} onCompare={compareWithLatest} onKeep={keepDraft} onDiscard={discardAndLoad} />
          </Card>
        )}
      </div>

      <div className="space-y-6">
        <Card>
          <PreviewPanel result={content ? preview.data : undefined} pending={preview.isFetching} problems={[...Object.values(problems), ...sample.problems]} />
        </Card>
        {canEdit && (
          <Card>
            <PlaygroundPanel
              accounts={accounts}
              name={name}
              versions={(detail?.versions ?? []).map((v) => v.version)}
              draft={content}
              values={sample.values}
              defaultModel={draft.config.model || models[0] || ""}
            />
          </Card>
        )}
      </div>
    </div>
  );
}
