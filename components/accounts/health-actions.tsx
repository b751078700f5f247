"use client";
import { useState, useTransition } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { accountHealthActionAction } from "@/app/(console)/accounts/actions";
import { Button } from "@/components/ui/button";
import type { AccountHealth } from "./health-values";

type Action = "disable" | "enable" | "drain" | "undrain" | "reset_circuit" | "probe";

/** The admin actions on an account's health: every one is audited on the server. */
export function HealthActions({ account: a }: { account: Pick<AccountHealth, "id" | "name" | "enabled" | "draining" | "status"> }) {
  const [pending, start] = useTransition();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const qc = useQueryClient();
  const run = (action: Action) =>
    start(async () => {
      const r = await accountHealthActionAction({ id: a.id, action });
      if (!r.ok) setMessage({ ok: false, text: r.error.message });
      else if (r.data.probe) setMessage({ ok: r.data.probe.ok, text: `Probe ${r.data.probe.ok ? "passed" : "failed"}: ${r.data.probe.message}` });
      else setMessage(null);
      await qc.invalidateQueries({ queryKey: ["account-health"] });
    });
  const btn = (action: Action, label: string, variant: "secondary" | "danger" = "secondary") => (
    <Button size="sm" variant={variant} disabled={pending} onClick={() => run(action)}>
      {label}
      <span className="sr-only"> {a.name}</span>
    </Button>
  );
  return (
    <div className="flex flex-col items-end gap-1">
      <div className="grid w-52 grid-cols-2 gap-1">
        {a.enabled ? btn("disable", "Disable", "danger") : btn("enable", "Enable")}
        {a.draining ? btn("undrain", "Stop draining") : btn("drain", "Drain")}
        {btn("reset_circuit", "Reset circuit")}
        {btn("probe", pending ? "Working…" : "Probe now")}
      </div>
      <span aria-live="polite" className="max-w-52 text-right text-xs">
        {message && <span className={message.ok ? "text-emerald-700 dark:text-emerald-400" : "text-red-700 dark:text-red-400"}>{message.text}</span>}
      </span>
    </div>
  );
}
