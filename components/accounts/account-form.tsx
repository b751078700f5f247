"use client";
import { useId, useState, useTransition } from "react";
import { createAccountAction, updateAccountAction } from "@/app/(console)/accounts/actions";
import { Button } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import { splitList } from "@/components/ui/format";
import type { CreateAccountInput } from "@/lib/accounts/schemas";
import { SIMULATOR_LABEL, providerKinds, providerLabels, type ProviderKind } from "@/lib/providers/schemas";
import {
  formatAliases, formatSettings, parseAliases, parseInteger, parseSettings, maskedKey, type AccountView,
} from "./account-values";

type Field =
  | "name" | "provider" | "baseUrl" | "apiKey" | "models" | "aliases" | "settings"
  | "weight" | "priority" | "firstByteTimeoutMs" | "idleTimeoutMs" | "enabled"
  | "rpmLimit" | "tpmLimit" | "probeMode" | "probeIntervalSec" | "probeModel";
const FIELDS = new Set<string>(["name", "provider", "baseUrl", "apiKey", "models", "aliases", "settings", "weight", "priority", "firstByteTimeoutMs", "idleTimeoutMs", "enabled", "rpmLimit", "tpmLimit", "probeMode", "probeIntervalSec", "probeModel"]);
type Errors = Partial<Record<Field, string>>;

const baseUrlHint: Record<ProviderKind, string> = {
  openai: "Empty means https://api.openai.com/v1. Any OpenAI-compatible server works (vLLM, Ollama…).",
  azure: "Required: the deployment URL, …/openai/deployments/<name>",
  anthropic: "Empty means https://api.anthropic.com",
  simulator: "Not used: the simulator runs in-process.",
};

const control =
  "block w-full rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-sm text-slate-900 shadow-sm placeholder:text-slate-500 focus:border-indigo-500 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100 dark:placeholder:text-slate-400";

function TextAreaField({ label, hint, error, className = "", ...rest }: { label: string; hint?: string; error?: string | null } & React.TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const id = useId();
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className={className}>
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-slate-700 dark:text-slate-200">
        {label}
      </label>
      <textarea id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy} className={control} spellCheck={false} {...rest} />
      {hint && <p id={`${id}-hint`} className="mt-1 text-xs text-slate-600 dark:text-slate-400">{hint}</p>}
      {error && <p id={`${id}-error`} role="alert" className="mt-1 text-xs text-red-700 dark:text-red-400">{error}</p>}
    </div>
  );
}

/** Builds the API input from the form, or the per-field problems found before sending. */
function readForm(fd: FormData, editing: boolean, clearKey: boolean): { input?: CreateAccountInput; errors: Errors } {
  const errors: Errors = {};
  const text = (k: string) => String(fd.get(k) ?? "");
  const aliases = parseAliases(text("aliases"));
  if (!aliases.ok) errors.aliases = aliases.message;
  const settings = parseSettings(text("settings"));
  if (!settings.ok) errors.settings = settings.message;
  // An empty number field leaves the value as it is (or the default).
  const ints: Partial<Record<"weight" | "priority" | "firstByteTimeoutMs" | "idleTimeoutMs" | "probeIntervalSec", number>> = {};
  for (const [k, label] of [["weight", "Weight"], ["priority", "Priority"], ["firstByteTimeoutMs", "First-byte timeout"], ["idleTimeoutMs", "Idle timeout"], ["probeIntervalSec", "Probe interval"]] as const) {
    const n = parseInteger(text(k), label);
    if (!n.ok) errors[k] = n.message;
    else if (n.value !== undefined) ints[k] = n.value;
  }
  const limits: Partial<Record<"rpmLimit" | "tpmLimit", number | null>> = {};
  for (const [k, label] of [["rpmLimit", "RPM limit"], ["tpmLimit", "TPM limit"]] as const) {
    const n = parseInteger(text(k), label);
    if (n.ok) limits[k] = n.value ?? null;
    else errors[k] = n.message;
  }
  if (Object.keys(errors).length) return { errors };

  const apiKey = text("apiKey").trim();
  const input: CreateAccountInput = {
    name: text("name"),
    // The selects offer only these; the server checks them again.
    provider: text("provider") as ProviderKind,
    baseUrl: text("baseUrl").trim() || null,
    models: splitList(text("models")),
    aliases: aliases.ok ? aliases.value : {},
    settings: settings.ok ? settings.value : {},
    enabled: fd.get("enabled") === "on",
    ...limits,
    probeMode: (text("probeMode") || "off") as CreateAccountInput["probeMode"],
    probeModel: text("probeModel").trim() || null,
    ...ints,
  };
  // On edit an empty key field keeps the stored key; "clear" removes it.
  if (clearKey) input.apiKey = null;
  else if (apiKey) input.apiKey = apiKey;
  else if (!editing) input.apiKey = null;
  return { input, errors };
}

export function AccountForm({ account, onDone, onCancel }: { account?: AccountView; onDone?: () => void; onCancel?: () => void }) {
  const editing = !!account;
  const [pending, start] = useTransition();
  const [provider, setProvider] = useState<ProviderKind>(account?.provider ?? "openai");
  const [baseUrl, setBaseUrl] = useState(account?.baseUrl ?? "");
  const [clearKey, setClearKey] = useState(false);
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const clearId = useId();
  const enabledId = useId();

  function submit(form: HTMLFormElement) {
    const { input, errors: found } = readForm(new FormData(form), editing, clearKey);
    setDone(null);
    setFormError(null);
    setErrors(found);
    if (!input) return;
    start(async () => {
      const res = account ? await updateAccountAction({ id: account.id, ...input }) : await createAccountAction(input);
      if (res.ok) {
        setErrors({});
        if (!account) {
          form.reset();
          setProvider("openai");
          setBaseUrl("");
          setDone(`Added ${res.data.name}`);
        }
        setClearKey(false);
        onDone?.();
        return;
      }
      const field = res.error.param?.split(".")[0];
      // The name is an account's only unique field.
      if (res.error.code === "conflict") setErrors({ name: "An account with this name already exists" });
      else if (field && FIELDS.has(field)) setErrors({ [field as Field]: res.error.message });
      else setFormError(res.error.message);
    });
  }

  const keyNow = maskedKey(account?.secretLast4 ?? null);
  const hasHeaders = Object.keys((account?.settings.headers as Record<string, unknown> | undefined) ?? {}).length > 0;
  const holdsSecrets = !!keyNow || hasHeaders;
  // Compared as the server compares them (trailing slashes do not count), so a re-save of the same URL warns nobody.
  const repointed = !!account && (provider !== account.provider || baseUrl.trim().replace(/\/+$/, "") !== (account.baseUrl ?? ""));
  return (
    <form
      aria-label={account ? `Edit account ${account.name}` : "Add account"}
      className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        submit(e.currentTarget);
      }}
    >
      <TextField label="Name" name="name" required autoComplete="off" defaultValue={account?.name} error={errors.name} autoFocus={editing} />
      <SelectField label="Provider" name="provider" value={provider} onChange={(e) => setProvider(e.target.value as ProviderKind)} error={errors.provider}>
        {providerKinds.map((k) => (
          <option key={k} value={k}>
            {providerLabels[k]}
          </option>
        ))}
      </SelectField>
      <TextField
        label={provider === "azure" ? "Base URL (deployment URL)" : "Base URL"}
        name="baseUrl"
        type="url"
        inputMode="url"
        autoComplete="off"
        placeholder={provider === "simulator" ? "" : provider === "anthropic" ? "https://api.anthropic.com" : "https://api.openai.com/v1"}
        value={baseUrl}
        onChange={(e) => setBaseUrl(e.target.value)}
        required={provider === "azure"}
        hint={
          editing && holdsSecrets
            ? `${baseUrlHint[provider]} Changing the base URL or provider clears the stored key and header values unless you enter them again here.`
            : baseUrlHint[provider]
        }
        error={errors.baseUrl}
        className="sm:col-span-2"
      />
      {repointed && holdsSecrets && (
        <p role="note" className="rounded-md border border-amber-300 bg-amber-50 p-2 text-sm text-amber-900 sm:col-span-2 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
          <strong>The stored key{hasHeaders ? " and header values" : ""} will be cleared</strong> when you save with a new base URL or provider: none of
          them is sent to a new host. Enter the key{hasHeaders ? " and header values" : ""} again below to keep using them.
        </p>
      )}
      {provider === "simulator" && (
        <p role="note" className="rounded-md border border-amber-300 bg-amber-50 p-2 text-sm text-amber-900 sm:col-span-2 lg:col-span-4 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
          <strong>{SIMULATOR_LABEL}.</strong> Answers are generated filler text, not a model&apos;s output. It needs no key and is meant for trying the gateway and for load tests.
        </p>
      )}
      <div className="sm:col-span-2">
        <TextField
          label="API key"
          name="apiKey"
          type="password"
          autoComplete="new-password"
          disabled={clearKey}
          placeholder={keyNow ? `current key ${keyNow}` : ""}
          hint={
            !editing
              ? "Stored encrypted; only its last four characters are shown again."
              : account.secretCleared
                ? "The key was cleared when the base URL or provider changed, and the gateway does not route to this account until you enter it again (or tick No key)."
                : keyNow && repointed
                  ? `Enter the key again to keep one: the current key (${keyNow}) is not kept for a new base URL or provider.`
                  : keyNow
                  ? `Leave empty to keep the current key (${keyNow}).`
                  : "No key stored. Leave empty for none."
          }
          error={errors.apiKey}
        />
        {editing && (keyNow || account.secretCleared) && (
          <div className="mt-1 flex items-center gap-2">
            <input id={clearId} type="checkbox" checked={clearKey} onChange={(e) => setClearKey(e.target.checked)} className="h-4 w-4 rounded border-slate-300" />
            <label htmlFor={clearId} className="text-sm text-slate-700 dark:text-slate-200">
              {keyNow ? "Clear key (call the upstream without one)" : "No key (the upstream needs none)"}
            </label>
          </div>
        )}
      </div>
      <TextField
        label="Models"
        name="models"
        autoComplete="off"
        defaultValue={account?.models.join(", ")}
        placeholder="gpt-4o-mini, gpt-4o*"
        hint="Comma or space separated; * is a wildcard. Empty serves every model."
        error={errors.models}
        className="sm:col-span-2"
      />
      <TextAreaField
        label="Aliases"
        name="aliases"
        rows={3}
        defaultValue={account ? formatAliases(account.aliases) : ""}
        placeholder="fast=gpt-4o-mini"
        hint="One per line: public=upstream"
        error={errors.aliases}
        className="sm:col-span-2"
      />
      <TextAreaField
        label="Provider settings (JSON)"
        name="settings"
        rows={3}
        defaultValue={account ? formatSettings(account.settings) : ""}
        placeholder='{"apiVersion": "2024-10-21"}'
        hint={'Optional, e.g. apiVersion (Azure), anthropicVersion, ttftMs (simulator), testModel, headers ({"x-name": "value"}: values are stored encrypted and shown as ••••; leave one as shown to keep it).'}
        error={errors.settings}
        className="sm:col-span-2"
      />
      <TextField label="Weight" name="weight" type="number" inputMode="numeric" min={0} max={1000} step={1} defaultValue={account?.weight ?? 1} hint="Share of traffic within a priority tier" error={errors.weight} />
      <TextField label="Priority" name="priority" type="number" inputMode="numeric" min={0} max={100} step={1} defaultValue={account?.priority ?? 0} hint="Lower is tried first" error={errors.priority} />
      <TextField label="First-byte timeout (ms)" name="firstByteTimeoutMs" type="number" inputMode="numeric" min={100} max={600000} step={100} defaultValue={account?.firstByteTimeoutMs ?? 30000} error={errors.firstByteTimeoutMs} />
      <TextField label="Idle timeout (ms)" name="idleTimeoutMs" type="number" inputMode="numeric" min={100} max={600000} step={100} defaultValue={account?.idleTimeoutMs ?? 60000} error={errors.idleTimeoutMs} />
      <TextField label="RPM limit" name="rpmLimit" type="number" inputMode="numeric" min={1} step={1} defaultValue={account?.rpmLimit ?? ""} hint="The upstream's requests per minute; empty if unknown" error={errors.rpmLimit} />
      <TextField label="TPM limit" name="tpmLimit" type="number" inputMode="numeric" min={1} step={1} defaultValue={account?.tpmLimit ?? ""} hint="The upstream's tokens per minute; empty if unknown" error={errors.tpmLimit} />
      <SelectField label="Active probe" name="probeMode" defaultValue={account?.probeMode ?? "off"} error={errors.probeMode}>
        <option value="off">Off</option>
        <option value="models">List models</option>
        <option value="completion">1-token completion</option>
      </SelectField>
      <TextField label="Probe interval (s)" name="probeIntervalSec" type="number" inputMode="numeric" min={5} max={86400} step={1} defaultValue={account?.probeIntervalSec ?? 60} error={errors.probeIntervalSec} />
      <TextField label="Probe model" name="probeModel" autoComplete="off" defaultValue={account?.probeModel ?? ""} placeholder="first listed model" hint="For 1-token probes" error={errors.probeModel} className="sm:col-span-2" />
      <div className="flex items-center gap-2 sm:col-span-2 lg:col-span-4">
        <input id={enabledId} name="enabled" type="checkbox" defaultChecked={account?.enabled ?? true} className="h-4 w-4 rounded border-slate-300" />
        <label htmlFor={enabledId} className="text-sm text-slate-700 dark:text-slate-200">
          Enabled (the gateway routes to it)
        </label>
      </div>
      <div className="flex flex-wrap items-center gap-2 sm:col-span-2 lg:col-span-4">
        <Button type="submit" disabled={pending}>
          {pending ? "Saving…" : account ? "Save changes" : "Add account"}
        </Button>
        {onCancel && (
          <Button variant="ghost" onClick={onCancel}>
            Cancel
          </Button>
        )}
        <span aria-live="polite" className="text-sm">
          {formError && <span role="alert" className="text-red-700 dark:text-red-400">{formError}</span>}
          {done && <span className="text-emerald-700 dark:text-emerald-400">{done}</span>}
        </span>
      </div>
    </form>
  );
}
