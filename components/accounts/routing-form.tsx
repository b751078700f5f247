"use client";
import { updateRoutingAction } from "@/app/(console)/accounts/actions";
import { Button } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import { useActionForm } from "@/components/ui/use-action-form";
import { routingStrategies, strategyLabels, type RoutingSettings, type RoutingStrategy } from "@/lib/accounts/schemas";

const CIRCUIT_FIELDS = [
  ["consecutiveFailures", "Open after consecutive failures", 1],
  ["errorRate", "…or error rate above (0–1)", 0.01],
  ["minRequests", "…with at least N requests", 1],
  ["windowMs", "…over a window of (ms)", 1000],
  ["cooldownMs", "First cooldown (ms, doubles per trip)", 100],
  ["maxCooldownMs", "Longest cooldown (ms)", 100],
  ["rateLimitCooldownMs", "Cool-down after a 429 without Retry-After (ms)", 100],
] as const;

const isStrategy = (v: string): v is RoutingStrategy => (routingStrategies as readonly string[]).includes(v);

function formatOverrides(o: Record<string, string>): string {
  return Object.entries(o).map(([k, v]) => `${k}=${v}`).join("\n");
}

/** The routing strategy (global, per-model overrides) and the circuit thresholds. */
export function RoutingSettingsForm({ settings, canEdit }: { settings: RoutingSettings; canEdit: boolean }) {
  const { pending, error, done, submit, setError } = useActionForm(updateRoutingAction, { done: () => "Saved; every instance applies it within moments" });
  const message = done ?? error?.message;

  function save(form: HTMLFormElement) {
    const fd = new FormData(form);
    const modelStrategies: Record<string, RoutingStrategy> = {};
    for (const line of String(fd.get("modelStrategies") ?? "").split(/\r?\n/)) {
      const t = line.trim();
      if (!t) continue;
      const [k, v] = t.split("=").map((x) => x.trim());
      if (!k || !v || !isStrategy(v)) {
        setError({ code: "validation_error", message: `Per-model strategies: '${t}' should be pattern=${routingStrategies.join("|")}` });
        return;
      }
      modelStrategies[k] = v;
    }
    const circuit = Object.fromEntries(CIRCUIT_FIELDS.map(([k]) => [k, Number(fd.get(k))]));
    submit(form, { strategy: fd.get("strategy") as RoutingStrategy, modelStrategies, circuit });
  }

  return (
    <form
      aria-label="Routing settings"
      className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4"
      onSubmit={(e) => {
        e.preventDefault();
        save(e.currentTarget);
      }}
    >
      <SelectField label="Strategy" name="strategy" defaultValue={settings.strategy} disabled={!canEdit} className="sm:col-span-2">
        {routingStrategies.map((s) => (
          <option key={s} value={s}>
            {strategyLabels[s]}
          </option>
        ))}
      </SelectField>
      <div className="sm:col-span-2">
        <label htmlFor="model-strategies" className="mb-1 block text-sm font-medium text-slate-700 dark:text-slate-200">
          Per-model strategies
        </label>
        <textarea
          id="model-strategies"
          name="modelStrategies"
          rows={2}
          disabled={!canEdit}
          defaultValue={formatOverrides(settings.modelStrategies)}
          placeholder="gpt-4o*=least_latency"
          aria-describedby="model-strategies-hint"
          className="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-sm text-slate-900 placeholder:text-slate-500 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100 dark:placeholder:text-slate-400"
        />
        <p id="model-strategies-hint" className="mt-1 text-xs text-slate-600 dark:text-slate-400">
          One per line, pattern=strategy; the most specific pattern wins.
        </p>
      </div>
      {CIRCUIT_FIELDS.map(([k, label, step]) => (
        <TextField key={k} label={label} name={k} type="number" step={step} min={step} defaultValue={settings.circuit[k]} disabled={!canEdit} />
      ))}
      {canEdit && (
        <div className="flex items-center gap-2 sm:col-span-2 lg:col-span-4">
          <Button type="submit" disabled={pending}>
            {pending ? "Saving…" : "Save routing"}
          </Button>
          <span aria-live="polite" className="text-sm">
            {message && <span className={done ? "text-emerald-700 dark:text-emerald-400" : "text-red-700 dark:text-red-400"}>{message}</span>}
          </span>
        </div>
      )}
    </form>
  );
}
