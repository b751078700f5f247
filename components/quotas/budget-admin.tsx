"use client";
import { useState, useTransition } from "react";
import { endRaiseAction, raiseQuotaAction, resetQuotaWindowAction } from "@/app/(console)/quotas/actions";
import { Button } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import type { PolicyView } from "@/lib/quota/schemas";

// Instance admins only: raise a budget until a time, end a raise, or reset the current window's use.
// Each one asks for a reason, which the audit log keeps.

const budgetFields = [
  ["tokensPerDay", "Extra tokens / day"],
  ["tokensPerMonth", "Extra tokens / month"],
  ["spendPerDayUsd", "Extra USD / day"],
  ["spendPerMonthUsd", "Extra USD / month"],
] as const;

export function BudgetAdmin({ policy: p }: { policy: PolicyView }) {
  const [pending, start] = useTransition();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const raisable = budgetFields.filter(([f]) => p[f] != null);
  const periods = (["day", "month"] as const).filter((d) => (d === "day" ? p.tokensPerDay ?? p.spendPerDayUsd : p.tokensPerMonth ?? p.spendPerMonthUsd) != null);
  if (raisable.length === 0) return null;
  const active = p.raise && Date.parse(p.raise.until) > Date.now() ? p.raise : null;

  const done = (r: { ok: true } | { ok: false; error: { message: string } }, text: string) =>
    setMessage(r.ok ? { ok: true, text } : { ok: false, text: r.error.message });

  return (
    <div className="space-y-3 text-sm" data-testid={`budget-admin-${p.name}`}>
      {active && (
        <p>
          Raised until {new Date(active.until).toLocaleString()} ({active.reason}).{" "}
          <Button size="sm" variant="ghost" disabled={pending} onClick={() => start(async () => done(await endRaiseAction(p.id), "Raise ended."))}>
            End raise
          </Button>
        </p>
      )}
      <form
        aria-label={`Raise ${p.name} temporarily`}
        className="grid gap-2 sm:grid-cols-3 lg:grid-cols-6 lg:items-end"
        onSubmit={(e) => {
          e.preventDefault();
          const fd = new FormData(e.currentTarget);
          const num = (k: string) => (String(fd.get(k) ?? "").trim() ? Number(fd.get(k)) : null);
          const until = String(fd.get("until") ?? "");
          start(async () =>
            done(
              await raiseQuotaAction({
                id: p.id,
                tokensPerDay: num("tokensPerDay"), tokensPerMonth: num("tokensPerMonth"),
                spendPerDayUsd: num("spendPerDayUsd"), spendPerMonthUsd: num("spendPerMonthUsd"),
                until: until ? new Date(until).toISOString() : "", reason: String(fd.get("reason") ?? ""),
              }),
              "Raised.",
            ),
          );
        }}
      >
        {raisable.map(([f, label]) => (
          <TextField key={f} label={label} name={f} inputMode="decimal" />
        ))}
        <TextField label="Until" name="until" type="datetime-local" required />
        <TextField label="Reason" name="reason" required />
        <Button type="submit" size="sm" disabled={pending}>
          Raise
        </Button>
      </form>
      <form
        aria-label={`Reset ${p.name}'s current window`}
        className="grid gap-2 sm:grid-cols-3 lg:items-end"
        onSubmit={(e) => {
          e.preventDefault();
          const fd = new FormData(e.currentTarget);
          const period = String(fd.get("period")) === "month" ? "month" : "day";
          start(async () => {
            const r = await resetQuotaWindowAction({ id: p.id, period, reason: String(fd.get("reason") ?? "") });
            done(r, `The current ${period} window's use was reset.`);
          });
        }}
      >
        <SelectField label="Window" name="period" defaultValue={periods[0]}>
          {periods.map((d) => (
            <option key={d} value={d}>
              Current {d}
            </option>
          ))}
        </SelectField>
        <TextField label="Reason for the reset" name="reason" required />
        <Button type="submit" size="sm" variant="danger" disabled={pending}>
          Reset window
        </Button>
      </form>
      {message && (
        <p role={message.ok ? "status" : "alert"} className={message.ok ? "text-emerald-800 dark:text-emerald-300" : "text-red-700 dark:text-red-400"}>
          {message.text}
        </p>
      )}
    </div>
  );
}
