"use client";
import { useEffect, useRef, useState, useTransition } from "react";
import { deleteAccountAction, testAccountAction, updateAccountAction } from "@/app/(console)/accounts/actions";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Td } from "@/components/ui/table";
import { providerLabels } from "@/lib/providers/schemas";
import { AccountForm } from "./account-form";
import { formatMs, maskedKey, type AccountView } from "./account-values";

export const ACCOUNT_COLUMNS = 7;

type TestResult = { ok: boolean; latencyMs: number; model: string | null; status?: number; message: string };

function ModelsSummary({ models, aliases }: { models: string[]; aliases: Record<string, string> }) {
  const shown = models.slice(0, 3);
  const aliasList = Object.entries(aliases);
  return (
    <div className="space-y-1">
      <div className="flex flex-wrap gap-1">
        {models.length === 0 ? (
          <span className="text-slate-600 dark:text-slate-400">every model</span>
        ) : (
          shown.map((m) => (
            <code key={m} className="whitespace-nowrap rounded bg-slate-100 px-1 font-mono text-xs dark:bg-slate-800">
              {m}
            </code>
          ))
        )}
        {models.length > shown.length && <span className="text-xs text-slate-600 dark:text-slate-400" title={models.join(", ")}>+{models.length - shown.length} more</span>}
      </div>
      {aliasList.length > 0 && (
        <div className="text-xs text-slate-600 dark:text-slate-400" title={aliasList.map(([a, b]) => `${a} → ${b}`).join("\n")}>
          {aliasList.length === 1 ? `alias ${aliasList[0]![0]} → ${aliasList[0]![1]}` : `${aliasList.length} aliases`}
        </div>
      )}
    </div>
  );
}

function TestOutcome({ result, onDismiss }: { result: TestResult; onDismiss: () => void }) {
  const detail = [result.model && `model ${result.model}`, `${result.latencyMs} ms`, result.status && `HTTP ${result.status}`].filter(Boolean).join(" · ");
  return (
    <div
      role={result.ok ? "status" : "alert"}
      className={`flex flex-wrap items-start justify-between gap-2 rounded-md border p-2 text-sm ${
        result.ok
          ? "border-emerald-300 bg-emerald-50 text-emerald-900 dark:border-emerald-700 dark:bg-emerald-950 dark:text-emerald-100"
          : "border-red-300 bg-red-50 text-red-900 dark:border-red-700 dark:bg-red-950 dark:text-red-100"
      }`}
    >
      <div className="min-w-0">
        <p className="font-medium">{result.ok ? "Connection works" : "Connection failed"}</p>
        <p className="break-words">{result.message}</p>
        <p className="text-xs opacity-80">{detail}</p>
      </div>
      <Button size="sm" variant="ghost" onClick={onDismiss}>
        Dismiss
      </Button>
    </div>
  );
}

export function AccountRow({ account: a, canEdit }: { account: AccountView; canEdit: boolean }) {
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [test, setTest] = useState<TestResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, start] = useTransition();
  const [testing, startTest] = useTransition();
  const editButton = useRef<HTMLButtonElement>(null);
  const deleteButton = useRef<HTMLButtonElement>(null);
  const cancelDelete = useRef<HTMLButtonElement>(null);
  // Keep keyboard focus on the row while the delete controls swap in and out.
  const wasConfirming = useRef(false);
  useEffect(() => {
    if (confirming) cancelDelete.current?.focus();
    else if (wasConfirming.current) deleteButton.current?.focus();
    wasConfirming.current = confirming;
  }, [confirming]);

  const run = (fn: () => Promise<{ ok: boolean; error?: { message: string } }>) =>
    start(async () => {
      const r = await fn();
      setError(r.ok ? null : (r.error?.message ?? "Failed"));
    });
  const closeEditor = () => {
    setEditing(false);
    editButton.current?.focus();
  };

  const key = maskedKey(a.secretLast4);
  return (
    <>
      <tr data-testid={`account-row-${a.name}`} className={a.enabled ? "" : "bg-slate-50/60 dark:bg-slate-900/60"}>
        <Td>
          <div className="flex items-center gap-2">
            <span className="font-medium">{a.name}</span>
            {a.enabled ? <Badge tone="green">enabled</Badge> : <Badge tone="gray">disabled</Badge>}
          </div>
          <span title={a.baseUrl ?? undefined} className="block max-w-48 truncate font-mono text-xs text-slate-600 dark:text-slate-400">
            {a.baseUrl ?? (a.provider === "simulator" ? "in-process" : "default URL")}
          </span>
        </Td>
        <td className="max-w-40 px-3 py-2 align-middle">
          {a.provider === "simulator" ? <Badge tone="amber">{providerLabels.simulator}</Badge> : providerLabels[a.provider]}
        </td>
        <td className="min-w-36 px-3 py-2 align-middle">
          <ModelsSummary models={a.models} aliases={a.aliases} />
        </td>
        <Td>
          {key ? (
            <>
              <code aria-hidden className="font-mono text-xs">{key}</code>
              <span className="sr-only">key ending in {a.secretLast4}</span>
            </>
          ) : a.secretCleared ? (
            <span title="Cleared when the base URL or provider changed: not routed until a key (or No key) is saved">
              <Badge tone="amber">key cleared</Badge>
            </span>
          ) : (
            <span className="text-slate-600 dark:text-slate-400">none</span>
          )}
        </Td>
        <Td className="tabular-nums">
          <span className="block">priority {a.priority}</span>
          <span className="block">weight {a.weight}</span>
        </Td>
        <Td className="tabular-nums">
          <span title={`first byte ${formatMs(a.firstByteTimeoutMs)}, idle ${formatMs(a.idleTimeoutMs)}`}>
            {formatMs(a.firstByteTimeoutMs)} / {formatMs(a.idleTimeoutMs)}
          </span>
        </Td>
        {canEdit && (
          <td className="px-3 py-2 align-middle">
            {confirming ? (
              <span className="ml-auto flex w-48 flex-wrap items-center justify-end gap-1.5" onKeyDown={(e) => e.key === "Escape" && setConfirming(false)}>
                <span className="text-xs">Delete {a.name}?</span>
                <Button size="sm" variant="danger" disabled={pending} onClick={() => run(() => deleteAccountAction(a.id))}>
                  Confirm delete
                </Button>
                <Button ref={cancelDelete} size="sm" variant="ghost" onClick={() => setConfirming(false)}>
                  Cancel
                </Button>
              </span>
            ) : (
              <span className="ml-auto flex w-48 flex-wrap items-center justify-end gap-1.5">
                <Button ref={editButton} size="sm" variant="secondary" aria-expanded={editing} onClick={() => (editing ? closeEditor() : setEditing(true))}>
                  Edit<span className="sr-only"> {a.name}</span>
                </Button>
                <Button size="sm" variant="secondary" disabled={pending} onClick={() => run(() => updateAccountAction({ id: a.id, enabled: !a.enabled }))}>
                  {a.enabled ? "Disable" : "Enable"}
                  <span className="sr-only"> {a.name}</span>
                </Button>
                <Button ref={deleteButton} size="sm" variant="danger" onClick={() => setConfirming(true)}>
                  Delete<span className="sr-only"> {a.name}</span>
                </Button>
                <Button
                  size="sm"
                  variant="secondary"
                  disabled={testing}
                  onClick={() =>
                    startTest(async () => {
                      const r = await testAccountAction(a.id);
                      if (r.ok) setTest(r.data);
                      else setTest({ ok: false, latencyMs: 0, model: null, message: r.error.message });
                    })
                  }
                >
                  {testing ? "Testing…" : "Test connection"}
                  <span className="sr-only"> {a.name}</span>
                </Button>
              </span>
            )}
            {error && <p role="alert" className="mt-1 text-right text-xs text-red-700 dark:text-red-400">{error}</p>}
          </td>
        )}
      </tr>
      {canEdit && (test || editing) && (
        <tr>
          <td colSpan={ACCOUNT_COLUMNS} className="space-y-3 bg-slate-50 px-3 py-3 dark:bg-slate-800/40">
            {test && <TestOutcome result={test} onDismiss={() => setTest(null)} />}
            {editing && <AccountForm account={a} onDone={closeEditor} onCancel={closeEditor} />}
          </td>
        </tr>
      )}
    </>
  );
}
