"use client";
import dynamic from "next/dynamic";
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useId, useMemo, useState, useTransition } from "react";
import {
  createPromptAction, diffDraftAction, getPromptAction, getVersionAction, previewAction, saveVersionAction,
} from "@/app/(console)/prompts/actions";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { splitList } from "@/components/ui/format";
import { messageRoles, type PromptDetail, type VersionDiff, type VersionView } from "@/lib/prompts/schemas";
import { draftFromVersion, draftToContent, emptyDraft } from "./draft";
import { ModelConfigForm } from "./model-config-form";
import { PlaygroundPanel, type PlaygroundAccount } from "./playground-panel";
import { PreviewPanel, sampleValues } from "./preview-panel";
import { unwrap, useDebounced } from "./use-action-query";
import { useEditorStore } from "./use-editor-store";
import { VariablesEditor } from "./variables-editor";
import { VersionDiffView } from "./version-diff";

// CodeMirror touches the DOM: render it on the client only.
const TemplateEditor = dynamic(() => import("./template-editor").then((m) => m.TemplateEditor), {
  ssr: false,
  loading: () => <div className="h-16 animate-pulse rounded-md border border-slate-200 dark:border-slate-800" />,
});

const input =
  "block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100";

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
};

export function PromptEditor({ detail: initialDetail, version, baseVersion: pageBase, canEdit, isAdmin, accounts, models, globals }: Props) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const name = initialDetail?.name ?? null;
  const storeKey = name ? `${name}@${pageBase ?? 0}:${version?.version ?? 0}` : "new";
  const load = useEditorStore((s) => s.load);
  useEffect(() => {
    load(storeKey, version ? draftFromVersion(version) : emptyDraft(), pageBase);
  }, [load, storeKey, version, pageBase]);

  const detailQuery = useQuery({
    queryKey: ["prompt", name],
    queryFn: () => unwrap(getPromptAction(name!)),
    initialData: initialDetail ?? undefined,
    enabled: !!name,
  });
  const detail = detailQuery.data ?? null;

  const draft = useEditorStore((s) => s.draft);
  const samples = useEditorStore((s) => s.samples);
  const baseVersion = useEditorStore((s) => s.baseVersion);
  const dirty = useEditorStore((s) => s.dirty);
  const commitMessage = useEditorStore((s) => s.commitMessage);
  const conflict = useEditorStore((s) => s.conflict);
  const store = useEditorStore.getState;

  const { content, problems } = useMemo(() => draftToContent(draft), [draft]);
  const sample = useMemo(() => sampleValues(draft.variables, samples), [draft.variables, samples]);
  const previewInput = useDebounced(JSON.stringify({ draft: content ?? null, values: sample.values }), 250);
  const preview = useQuery({
    queryKey: ["prompt-preview", previewInput],
    queryFn: () => unwrap(previewAction(JSON.parse(previewInput) as { draft: unknown; values: Record<string, unknown> })),
    placeholderData: keepPreviousData,
    enabled: !!content,
  });

  const declared = draft.variables.map((v) => v.name.trim()).filter(Boolean);
  const completions = [...new Set([...declared, ...globals])];
  const undeclared = preview.data ? preview.data.used.filter((u) => !declared.includes(u) && !globals.includes(u)) : [];

  // New-prompt fields.
  const ids = { name: useId(), description: useId(), tags: useId(), commit: useId(), production: useId() };
  const [meta, setMeta] = useState({ name: "", description: "", tags: "", production: false });
  const [saving, startSave] = useTransition();
  const [error, setError] = useState<{ message: string; param?: string | null } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [conflictDiff, setConflictDiff] = useState<VersionDiff | null>(null);
  const latest = detail?.versions[0]?.version ?? null;

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
      const r = await saveVersionAction({ name, body: { ...content, commitMessage, baseVersion } });
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
    setConflictDiff(await unwrap(diffDraftAction({ name, against: latest, draft: content })));
  };
  const discardAndLoad = async () => {
    if (!name || !latest) return;
    if (!window.confirm(`Discard your unsaved draft and load version ${latest}?`)) return;
    const v = await unwrap(getVersionAction({ name, version: latest }));
    store().load(`${name}@${latest}:${latest}`, draftFromVersion(v), latest, true);
    setConflictDiff(null);
  };

  const readOnly = !canEdit;
  const messageError = (i: number) => (error?.param === `messages.${i}.content` ? error.message : null);

  return (
    <div className="grid gap-6 xl:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
      <div className="space-y-6">
        {!name && (
          <Card title="New prompt">
            <div className="grid gap-3 sm:grid-cols-2">
              <div>
                <label htmlFor={ids.name} className="mb-1 block text-sm font-medium">Name</label>
                <input id={ids.name} className={`${input} font-mono`} value={meta.name} onChange={(e) => { setMeta({ ...meta, name: e.target.value }); if (error?.param === "name") setError(null); }} aria-describedby={`${ids.name}-hint`} aria-invalid={error?.param === "name" ? true : undefined} />
                <p id={`${ids.name}-hint`} className="mt-1 text-xs text-slate-600 dark:text-slate-400">Lowercase slug that apps send as “prompt”, e.g. support-reply.</p>
              </div>
              <div>
                <label htmlFor={ids.tags} className="mb-1 block text-sm font-medium">Tags</label>
                <input id={ids.tags} className={input} value={meta.tags} onChange={(e) => setMeta({ ...meta, tags: e.target.value })} placeholder="support, email" />
              </div>
              <div className="sm:col-span-2">
                <label htmlFor={ids.description} className="mb-1 block text-sm font-medium">Description</label>
                <input id={ids.description} className={input} value={meta.description} onChange={(e) => setMeta({ ...meta, description: e.target.value })} />
              </div>
              {isAdmin && (
                <label htmlFor={ids.production} className="flex items-center gap-2 text-sm">
                  <input id={ids.production} type="checkbox" checked={meta.production} onChange={(e) => setMeta({ ...meta, production: e.target.checked })} />
                  Label the first version production
                </label>
              )}
            </div>
          </Card>
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
                  <TemplateEditor value={m.content} onChange={(v) => store().updateMessage(m.id, { content: v })} label={`Message ${i + 1} content`} variables={completions} readOnly={readOnly} testId={`message-editor-${i}`} />
                  {messageError(i) && <p role="alert" className="text-xs text-red-700 dark:text-red-400">{messageError(i)}</p>}
                </li>
              ))}
            </ol>
          ) : (
            <TemplateEditor value={draft.text} onChange={(v) => store().setText(v)} label="Prompt text" variables={completions} readOnly={readOnly} testId="text-editor" />
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
                <label htmlFor={ids.commit} className="mb-1 block text-sm font-medium">Commit message</label>
                <input id={ids.commit} className={input} value={commitMessage} onChange={(e) => store().setCommitMessage(e.target.value)} placeholder={name ? "What changed and why" : "Initial version"} aria-invalid={error?.param === "commitMessage" ? true : undefined} />
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
            {conflict && (
              <div role="alert" className="mt-3 space-y-2 rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900 dark:border-red-700 dark:bg-red-950 dark:text-red-100" data-testid="save-conflict">
                <p className="font-medium">Someone else saved this prompt while you were editing. Your draft is still here.</p>
                <p>{conflict.message}</p>
                <div className="flex flex-wrap gap-2">
                  <Button size="sm" variant="secondary" onClick={compareWithLatest} disabled={!latest}>Compare my draft with v{latest}</Button>
                  <Button size="sm" variant="secondary" onClick={() => latest && store().rebase(latest)} disabled={!latest}>Keep my draft on top of v{latest}</Button>
                  <Button size="sm" variant="danger" onClick={discardAndLoad} disabled={!latest}>Discard my draft and load v{latest}</Button>
                </div>
              </div>
            )}
            {conflictDiff && (
              <div className="mt-4">
                <VersionDiffView diff={conflictDiff} />
              </div>
            )}
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
