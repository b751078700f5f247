"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import { send } from "./send";

type Props = { datasetId: string; versions: number[]; prompts: string[]; accounts: { id: string; name: string }[] };

/** Starts a run of a prompt version on a dataset version with the chosen scorers, then opens its page. */
export function StartRunForm({ datasetId, versions, prompts, accounts }: Props) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      aria-label="Start evaluation run"
      className="space-y-4"
      onSubmit={async (e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        const str = (k: string) => ((f.get(k) as string | null) ?? "").trim();
        const num = (k: string) => (str(k) === "" ? undefined : Number(str(k)));
        const scorers: Record<string, unknown>[] = [];
        if (f.get("exact") === "on") scorers.push({ type: "exact" });
        if (str("contains")) scorers.push({ type: "contains", value: str("contains") });
        if (str("regex")) scorers.push({ type: "regex", pattern: str("regex") });
        if (f.get("json") === "on") scorers.push({ type: "json" });
        if (str("numeric")) scorers.push({ type: "numeric", tolerance: Number(str("numeric")) });
        if (str("judge")) {
          scorers.push({
            type: "judge", prompt: str("judge"), model: str("judgeModel"), ...(str("judgeAccount") ? { accountId: str("judgeAccount") } : {}),
            ...(num("passAt") !== undefined ? { passAt: num("passAt") } : {}),
          });
        }
        setBusy(true);
        setError(null);
        try {
          const r = await send<{ id: string }>("POST", "/api/admin/evaluations", {
            datasetId, datasetVersion: num("datasetVersion"), prompt: str("prompt"),
            ...(num("version") !== undefined ? { version: num("version") } : { label: str("label") || undefined }),
            ...(str("model") ? { model: str("model") } : {}), ...(str("account") ? { accountId: str("account") } : {}),
            concurrency: num("concurrency") ?? 4, scorers,
          });
          router.push(`/evaluations/runs/${r.id}`);
        } catch (err) {
          setError((err as Error).message);
          setBusy(false);
        }
      }}
    >
      <fieldset className="grid gap-3 sm:grid-cols-3">
        <legend className="mb-2 text-sm font-semibold">What to run</legend>
        <SelectField label="Dataset version" name="datasetVersion" defaultValue={String(versions[0] ?? "")}>
          {versions.map((v) => <option key={v} value={v}>Version {v}</option>)}
        </SelectField>
        <SelectField label="Prompt" name="prompt" required>
          {prompts.map((p) => <option key={p} value={p}>{p}</option>)}
        </SelectField>
        <TextField label="Prompt version" name="version" type="number" min={1} hint="Empty: the label below" />
        <TextField label="Label" name="label" placeholder="production" />
        <TextField label="Model" name="model" hint="Empty: the prompt's model" />
        <SelectField label="Account" name="account" defaultValue="">
          <option value="">Routed by the gateway</option>
          {accounts.map((a) => <option key={a.id} value={a.id}>{a.name}</option>)}
        </SelectField>
        <TextField label="Concurrency" name="concurrency" type="number" min={1} max={16} defaultValue={4} />
      </fieldset>
      <fieldset className="grid gap-3 sm:grid-cols-3">
        <legend className="mb-2 text-sm font-semibold">Scorers</legend>
        <label className="flex items-center gap-2 text-sm"><input type="checkbox" name="exact" defaultChecked /> Exact match</label>
        <label className="flex items-center gap-2 text-sm"><input type="checkbox" name="json" /> Valid JSON</label>
        <TextField label="Contains (text)" name="contains" />
        <TextField label="Matches (regex)" name="regex" />
        <TextField label="Numeric tolerance" name="numeric" type="number" step="any" min={0} />
        <SelectField label="LLM judge rubric (a prompt)" name="judge" defaultValue="">
          <option value="">No judge</option>
          {prompts.map((p) => <option key={p} value={p}>{p}</option>)}
        </SelectField>
        <TextField label="Judge model" name="judgeModel" />
        <SelectField label="Judge account" name="judgeAccount" defaultValue="">
          <option value="">Routed by the gateway</option>
          {accounts.map((a) => <option key={a.id} value={a.id}>{a.name}</option>)}
        </SelectField>
        <TextField label="Judge passes at" name="passAt" type="number" step="any" />
      </fieldset>
      {error && <p role="alert" className="text-sm text-red-700 dark:text-red-400">{error}</p>}
      <Button type="submit" disabled={busy}>Start run</Button>
    </form>
  );
}
