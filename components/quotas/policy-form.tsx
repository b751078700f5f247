"use client";
import { useState, useTransition } from "react";
import { createQuotaPolicyAction, updateQuotaPolicyAction } from "@/app/(console)/quotas/actions";
import { Button } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import { DEFAULT_THRESHOLDS, limitFields, quotaScopes, scopeLabels, type CreateQuotaPolicyInput, type PolicyView, type QuotaScope } from "@/lib/quota/schemas";
import type { KeyOption } from "./quota-values";

type Errors = Record<string, string>;

function readForm(fd: FormData): { input?: CreateQuotaPolicyInput; errors: Errors } {
  const errors: Errors = {};
  const text = (k: string) => String(fd.get(k) ?? "").trim();
  const input: CreateQuotaPolicyInput = {
    name: text("name"),
    // The select offers only the scopes; the server checks it again.
    scope: text("scope") as QuotaScope,
    apiKeyId: text("apiKeyId") || null,
    endUser: text("endUser") || null,
    model: text("model") || null,
    requireMaxTokens: fd.get("requireMaxTokens") === "on",
    enabled: fd.get("enabled") === "on",
    timeZone: text("timeZone") || "UTC",
  };
  const thresholds = text("thresholds");
  const parsed = thresholds ? thresholds.split(/[\s,]+/).filter(Boolean).map(Number) : [];
  if (parsed.some((n) => !Number.isInteger(n) || n < 1 || n > 100)) errors.thresholds = "must be whole percentages from 1 to 100, separated by commas";
  else input.thresholds = parsed;
  for (const [field, isMoney] of [...limitFields.map((l) => [l.field, l.metric === "spend"] as const), ["defaultMaxTokens", false] as const]) {
    const raw = text(field).replace(/[_,\s]/g, "");
    if (!raw) {
      input[field] = null;
      continue;
    }
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0 || (!isMoney && !Number.isInteger(n))) errors[field] = isMoney ? "must be an amount in USD" : "must be a whole number";
    else input[field] = n;
  }
  return Object.keys(errors).length ? { errors } : { input, errors };
}

export function PolicyForm({ policy, keys, onDone, onCancel }: { policy?: PolicyView; keys: KeyOption[]; onDone?: () => void; onCancel?: () => void }) {
  const editing = !!policy;
  const [pending, start] = useTransition();
  const [scope, setScope] = useState<QuotaScope>(policy?.scope ?? "key");
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  return (
    <form
      aria-label={editing ? `Edit quota policy ${policy.name}` : "Create quota policy"}
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        const form = e.currentTarget;
        const { input, errors: found } = readForm(new FormData(form));
        setErrors(found);
        setSaved(null);
        if (!input) return;
        start(async () => {
          const res = editing ? await updateQuotaPolicyAction({ id: policy.id, ...input }) : await createQuotaPolicyAction(input);
          if (res.ok) {
            setFormError(null);
            if (!editing) {
              form.reset();
              setScope("key");
              setSaved(`Created ${res.data.name}.`);
            }
            onDone?.();
          } else if (res.error.param) {
            setErrors({ [res.error.param.split(".")[0]!]: res.error.message.replace(/^Invalid value for '[^']+': /, "") });
          } else {
            setFormError(res.error.message);
          }
        });
      }}
    >
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <TextField label="Name" name="name" required defaultValue={policy?.name} autoComplete="off" error={errors.name} />
        <SelectField label="Applies to" name="scope" value={scope} onChange={(e) => setScope(e.target.value as QuotaScope)} error={errors.scope}>
          {quotaScopes.map((s) => (
            <option key={s} value={s}>
              {scopeLabels[s]}
            </option>
          ))}
        </SelectField>
        {scope !== "model" && scope !== "workspace" && (
          <SelectField label="API key" name="apiKeyId" defaultValue={policy?.apiKeyId ?? ""} error={errors.apiKeyId}>
            <option value="">Each key separately</option>
            {keys.map((k) => (
              <option key={k.id} value={k.id}>
                {k.name} ({k.prefix}…)
              </option>
            ))}
          </SelectField>
        )}
        {scope === "user" && (
          <TextField label="End user (optional)" name="endUser" defaultValue={policy?.endUser ?? ""} hint="The request's user field; empty counts each user separately" error={errors.endUser} />
        )}
        {(scope === "model" || scope === "key_model") && (
          <TextField label="Model" name="model" required defaultValue={policy?.model ?? ""} hint="Exact name, or a prefix ending in *" error={errors.model} />
        )}
      </div>
      <fieldset className="grid gap-3 sm:grid-cols-3 lg:grid-cols-6">
        <legend className="mb-2 text-sm font-medium text-slate-700 dark:text-slate-200">Limits (leave empty for none)</legend>
        {limitFields.map((l) => (
          <TextField
            key={l.field}
            label={l.label}
            name={l.field}
            inputMode={l.metric === "spend" ? "decimal" : "numeric"}
            defaultValue={policy?.[l.field] ?? ""}
            error={errors[l.field]}
          />
        ))}
      </fieldset>
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <TextField
          label="Time zone"
          name="timeZone"
          defaultValue={policy?.timeZone ?? "UTC"}
          hint="Day and month windows start at local midnight and on the local 1st (IANA name, e.g. Europe/Berlin)"
          error={errors.timeZone}
        />
        <TextField
          label="Alert thresholds (%)"
          name="thresholds"
          defaultValue={(policy?.thresholds ?? DEFAULT_THRESHOLDS).join(", ")}
          hint="Alerted once per window when day or month use crosses them; empty for none"
          error={errors.thresholds}
        />
      </div>
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4 lg:items-end">
        <TextField
          label="Default max_tokens"
          name="defaultMaxTokens"
          inputMode="numeric"
          defaultValue={policy?.defaultMaxTokens ?? ""}
          hint="Completion tokens reserved when a request sets none (else 4096)"
          error={errors.defaultMaxTokens}
        />
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" name="requireMaxTokens" defaultChecked={policy?.requireMaxTokens ?? false} className="h-4 w-4" />
          Require max_tokens
        </label>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" name="enabled" defaultChecked={policy?.enabled ?? true} className="h-4 w-4" />
          Enabled
        </label>
        <div className="flex gap-2">
          <Button type="submit" disabled={pending}>
            {pending ? "Saving…" : editing ? "Save policy" : "Create policy"}
          </Button>
          {onCancel && (
            <Button variant="ghost" onClick={onCancel}>
              Cancel
            </Button>
          )}
        </div>
      </div>
      {formError && <p role="alert" className="text-sm text-red-700 dark:text-red-400">{formError}</p>}
      {saved && <p role="status" className="text-sm text-emerald-800 dark:text-emerald-300">{saved}</p>}
    </form>
  );
}
