"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useId, useState, useTransition } from "react";
import { deleteLabelAction, moveLabelAction } from "@/app/(console)/prompts/actions";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { formatDateTime } from "@/components/ui/format";
import { Table, Td, Th } from "@/components/ui/table";
import { COMMON_LABELS, LATEST_LABEL, type PromptDetail } from "@/lib/prompts/schemas";
import { LabelBadge } from "./label-badge";
import { fetchPrompt } from "./prompt-reads";

const select =
  "rounded border border-slate-300 bg-white px-2 py-1 text-sm text-slate-900 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100";

/** Moving a label always asks first: it changes what apps are served (moving production back is the rollback). */
function MoveLabel({ prompt, label, current, versions, onMoved }: { prompt: string; label: string; current: number | null; versions: number[]; onMoved: () => Promise<void> }) {
  const id = useId();
  const [target, setTarget] = useState<number>(current && versions.includes(current) ? current : versions[0]!);
  const [confirming, setConfirming] = useState(false);
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const [moved, setMoved] = useState<string | null>(null);
  return (
    <div className="flex flex-wrap items-center gap-2" data-testid={`move-${label}`}>
      <label htmlFor={id} className="sr-only">Version for {label}</label>
      <select id={id} className={select} value={target} onChange={(e) => { setTarget(Number(e.target.value)); setConfirming(false); setMoved(null); }}>
        {versions.map((v) => <option key={v} value={v}>v{v}</option>)}
      </select>
      {!confirming ? (
        <Button size="sm" variant="secondary" disabled={target === current} onClick={() => setConfirming(true)}>
          Move<span className="sr-only"> {label}</span>
        </Button>
      ) : (
        <span role="group" aria-label={`Confirm moving ${label}`} className="inline-flex flex-wrap items-center gap-2">
          <span className="text-xs">
            Move {label} {current ? `from v${current} ` : ""}to v{target}?{label === "production" ? " Apps get this version at once." : ""}
          </span>
          <Button
            size="sm"
            disabled={pending}
            onClick={() =>
              start(async () => {
                const r = await moveLabelAction({ name: prompt, label, version: target });
                if (!r.ok) return setError(r.error.message);
                setError(null);
                setConfirming(false);
                setMoved(`Moved ${label} to v${target}.`);
                await onMoved();
              })
            }
          >
            Confirm move
          </Button>
          <Button size="sm" variant="ghost" onClick={() => setConfirming(false)}>Cancel</Button>
        </span>
      )}
      {error && <span role="alert" className="text-xs text-red-700 dark:text-red-400">{error}</span>}
      {moved && !confirming && <span role="status" className="text-xs text-emerald-800 dark:text-emerald-300">{moved}</span>}
    </div>
  );
}

export function HistoryView({ initial, canEdit, isAdmin }: { initial: PromptDetail; canEdit: boolean; isAdmin: boolean }) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const { data: detail } = useQuery({ queryKey: ["prompt", initial.name], queryFn: ({ signal }) => fetchPrompt(initial.name, signal), initialData: initial });
  const versions = detail.versions.map((v) => v.version);
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: ["prompt", detail.name] });
    router.refresh();
  };
  const newLabelId = useId();
  const [newLabel, setNewLabel] = useState("");
  const [deleting, startDelete] = useTransition();
  const existing = new Set(detail.labels.map((l) => l.name));
  const suggestions = COMMON_LABELS.filter((l) => !existing.has(l));

  return (
    <div className="grid gap-6">
      <Card title="Labels">
        <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">
          /api/completion serves the version under <strong>production</strong> unless a request names a label or a version. To roll back, move production to an earlier version.
        </p>
        <Table caption="Labels">
          <thead className="bg-slate-50 dark:bg-slate-800/50">
            <tr><Th>Label</Th><Th>Version</Th>{canEdit && <Th>Move to</Th>}</tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {detail.labels.map((l) => {
              const locked = l.name === LATEST_LABEL || (l.protected && !isAdmin);
              return (
                <tr key={l.name} data-testid={`label-row-${l.name}`}>
                  <Td>
                    <LabelBadge name={l.name} />
                    {l.protected && <span className="ml-1 text-xs text-slate-600 dark:text-slate-400">protected</span>}
                  </Td>
                  <Td><span data-testid={`label-version-${l.name}`}>v{l.version}</span></Td>
                  {canEdit && (
                    <Td>
                      {l.name === LATEST_LABEL ? (
                        <span className="text-xs text-slate-600 dark:text-slate-400">moves on every save</span>
                      ) : locked ? (
                        <span className="text-xs text-slate-600 dark:text-slate-400">admins only</span>
                      ) : (
                        <div className="flex flex-wrap items-center gap-2">
                          <MoveLabel prompt={detail.name} label={l.name} current={l.version} versions={versions} onMoved={refresh} />
                          {!l.protected && (
                            <Button size="sm" variant="ghost" disabled={deleting} onClick={() => startDelete(async () => { if (window.confirm(`Remove the label ${l.name}?`)) { await deleteLabelAction({ name: detail.name, label: l.name }); await refresh(); } })}>
                              Remove<span className="sr-only"> label {l.name}</span>
                            </Button>
                          )}
                        </div>
                      )}
                    </Td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </Table>
        {canEdit && (
          <div className="mt-4 space-y-2">
            <label htmlFor={newLabelId} className="block text-sm font-medium">Add a label</label>
            <input id={newLabelId} className={`${select} w-48 font-mono`} value={newLabel} onChange={(e) => setNewLabel(e.target.value.trim().toLowerCase())} list={`${newLabelId}-list`} placeholder="staging" aria-describedby={`${newLabelId}-hint`} />
            <p id={`${newLabelId}-hint`} className="text-xs text-slate-600 dark:text-slate-400">Type a name, then choose its version and press Move.</p>
            <datalist id={`${newLabelId}-list`}>{suggestions.map((s) => <option key={s} value={s} />)}</datalist>
            {newLabel && !existing.has(newLabel) && (
              <MoveLabel key={newLabel} prompt={detail.name} label={newLabel} current={null} versions={versions} onMoved={async () => { setNewLabel(""); await refresh(); }} />
            )}
          </div>
        )}
      </Card>

      <Card title="History">
        <ol className="relative space-y-4 border-l border-slate-200 pl-5 dark:border-slate-800" data-testid="history-timeline">
          {detail.versions.map((v, i) => (
            <li key={v.version} data-testid={`history-v${v.version}`}>
              <span aria-hidden className="absolute -left-1.5 mt-1.5 h-3 w-3 rounded-full border-2 border-white bg-indigo-600 dark:border-slate-900" />
              <div className="flex flex-wrap items-center gap-2">
                <h3 className="font-semibold">Version {v.version}</h3>
                {v.labels.map((l) => <LabelBadge key={l} name={l} />)}
              </div>
              <p className="text-sm">{v.commitMessage}</p>
              <p className="text-xs text-slate-600 dark:text-slate-400">
                {v.authorEmail ?? "unknown"} · <time dateTime={v.createdAt}>{formatDateTime(v.createdAt)}</time>
              </p>
              <p className="mt-1 flex gap-3 text-xs">
                {i < detail.versions.length - 1 && (
                  <Link className="text-indigo-700 underline dark:text-indigo-300" href={`/prompts/${detail.name}/diff?from=${detail.versions[i + 1]!.version}&to=${v.version}`}>
                    Compare with v{detail.versions[i + 1]!.version}
                  </Link>
                )}
                <Link className="text-indigo-700 underline dark:text-indigo-300" href={`/prompts/${detail.name}?from=${v.version}`}>
                  Open v{v.version} in the editor
                </Link>
              </p>
            </li>
          ))}
        </ol>
      </Card>
    </div>
  );
}
