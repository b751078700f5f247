"use client";
import { useEffect, useRef, useState, useTransition } from "react";
import { deleteQuotaPolicyAction } from "@/app/(console)/quotas/actions";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Td } from "@/components/ui/table";
import { scopeLabels, type PolicyView } from "@/lib/quota/schemas";
import { PolicyForm } from "./policy-form";
import { appliesTo, limitSummary, type KeyOption } from "./quota-values";

export const POLICY_COLUMNS = 5;

export function PolicyRow({ policy: p, keys, canEdit }: { policy: PolicyView; keys: KeyOption[]; canEdit: boolean }) {
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [pending, start] = useTransition();
  const editButton = useRef<HTMLButtonElement>(null);
  const cancelDelete = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) cancelDelete.current?.focus();
  }, [confirming]);

  const closeEditor = () => {
    setEditing(false);
    editButton.current?.focus();
  };

  return (
    <>
      <tr data-testid={`policy-row-${p.name}`}>
        <Td>
          <div className="flex items-center gap-2">
            <span className="font-medium">{p.name}</span>
            {p.enabled ? <Badge tone="green">enabled</Badge> : <Badge tone="gray">disabled</Badge>}
          </div>
        </Td>
        <Td>{scopeLabels[p.scope]}</Td>
        <td className="px-3 py-2 align-middle text-sm">{appliesTo(p, keys)}</td>
        <td className="px-3 py-2 align-middle text-sm">
          {limitSummary(p)}
          {p.requireMaxTokens && <span className="ml-1 text-xs text-slate-600 dark:text-slate-400">(max_tokens required)</span>}
        </td>
        {canEdit && (
          <Td className="text-right">
            {confirming ? (
              <span className="inline-flex items-center gap-2">
                <span className="text-xs">Remove {p.name}?</span>
                <Button
                  size="sm"
                  variant="danger"
                  disabled={pending}
                  onClick={() =>
                    start(async () => {
                      const r = await deleteQuotaPolicyAction(p.id);
                      if (!r.ok) setError(r.error.message);
                    })
                  }
                >
                  Confirm remove
                </Button>
                <Button ref={cancelDelete} size="sm" variant="ghost" onClick={() => setConfirming(false)}>
                  Cancel
                </Button>
              </span>
            ) : (
              <span className="inline-flex gap-2">
                <Button ref={editButton} size="sm" variant="secondary" aria-expanded={editing} onClick={() => setEditing((v) => !v)}>
                  Edit<span className="sr-only"> {p.name}</span>
                </Button>
                <Button size="sm" variant="danger" onClick={() => setConfirming(true)}>
                  Remove<span className="sr-only"> {p.name}</span>
                </Button>
              </span>
            )}
            {error && <span role="alert" className="ml-2 text-xs text-red-700 dark:text-red-400">{error}</span>}
          </Td>
        )}
      </tr>
      {editing && (
        <tr>
          <td colSpan={POLICY_COLUMNS} className="bg-slate-50 px-3 py-4 dark:bg-slate-800/40">
            <PolicyForm policy={p} keys={keys} onDone={closeEditor} onCancel={closeEditor} />
          </td>
        </tr>
      )}
    </>
  );
}
