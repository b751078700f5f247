"use client";
import { useRouter } from "next/navigation";
import { useId, useMemo, useState } from "react";
import { createExperimentAction } from "@/app/(console)/experiments/actions";
import { Button } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import { useActionForm } from "@/components/ui/use-action-form";

type PromptOption = { name: string; latestVersion: number; labels: { name: string; version: number }[] };
type Row = { key: number; name: string; version: string; weight: string; model: string; temperature: string };

const control =
  "block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm placeholder:text-slate-500 focus:border-indigo-500 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100 dark:placeholder:text-slate-400";

export function CreateExperimentForm({ prompts }: { prompts: PromptOption[] }) {
  const router = useRouter();
  const { pending, error, submit, fieldError, formError } = useActionForm(createExperimentAction, {
    fields: ["variants", "name", "prompt", "label", "primaryMetric", "minDetectableEffect"],
    onSuccess: (experiment) => router.push(`/experiments/${experiment.id}`),
  });
  const [promptName, setPromptName] = useState(prompts[0]?.name ?? "");
  const prompt = prompts.find((p) => p.name === promptName);
  const labels = useMemo(() => (prompt?.labels ?? []).filter((l) => l.name !== "latest"), [prompt]);
  const [label, setLabel] = useState("production");
  const [controlKey, setControlKey] = useState(1);
  const production = labels.find((l) => l.name === label)?.version ?? prompt?.latestVersion ?? 1;
  const [rows, setRows] = useState<Row[]>(() => [
    { key: 1, name: "A", version: String(production), weight: "50", model: "", temperature: "" },
    { key: 2, name: "B", version: String(prompt?.latestVersion ?? 1), weight: "50", model: "", temperature: "" },
  ]);
  const hypothesisId = useId();
  const versions = Array.from({ length: prompt?.latestVersion ?? 0 }, (_, i) => i + 1).reverse();
  const labelsOf = (v: number) => (prompt?.labels ?? []).filter((l) => l.version === v).map((l) => l.name);
  const update = (key: number, patch: Partial<Row>) => setRows((rs) => rs.map((r) => (r.key === key ? { ...r, ...patch } : r)));

  if (prompts.length === 0) return <p className="text-sm">Create a prompt first: an experiment splits one prompt label&apos;s traffic between its versions.</p>;

  return (
    <form
      aria-label="Create experiment"
      className="space-y-5"
      onSubmit={(e) => {
        e.preventDefault();
        const fd = new FormData(e.currentTarget);
        const input = {
          name: String(fd.get("name") ?? ""),
          prompt: promptName,
          label,
          hypothesis: String(fd.get("hypothesis") ?? ""),
          primaryMetric: String(fd.get("primaryMetric") ?? "thumbs").trim(),
          higherIsBetter: fd.get("higherIsBetter") === "on",
          minDetectableEffect: Number(fd.get("mde") ?? 10) / 100,
          variants: rows.map((r) => ({
            name: r.name,
            version: Number(r.version),
            weight: Number(r.weight),
            control: r.key === controlKey,
            overrides: {
              ...(r.model.trim() ? { model: r.model.trim() } : {}),
              ...(r.temperature.trim() ? { temperature: Number(r.temperature) } : {}),
            },
          })),
        };
        submit(e.currentTarget, input);
      }}
    >
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField label="Name" name="name" required autoComplete="off" placeholder="Greeting by name" error={fieldError("name")} />
        <SelectField
          label="Prompt"
          name="prompt"
          value={promptName}
          onChange={(e) => {
            // A new prompt has its own versions: start from its production (control) and latest.
            const next = prompts.find((p) => p.name === e.target.value);
            const prod = next?.labels.find((l) => l.name === "production")?.version ?? next?.latestVersion ?? 1;
            setPromptName(e.target.value);
            setLabel(next?.labels.some((l) => l.name === "production") ? "production" : (next?.labels.find((l) => l.name !== "latest")?.name ?? "production"));
            setRows((rs) => rs.map((r, i) => ({ ...r, version: String(i === 0 ? prod : (next?.latestVersion ?? 1)) })));
          }}
          error={fieldError("prompt")}
        >
          {prompts.map((p) => (
            <option key={p.name} value={p.name}>
              {p.name}
            </option>
          ))}
        </SelectField>
        <SelectField label="Label whose traffic is split" name="label" value={label} onChange={(e) => setLabel(e.target.value)} error={fieldError("label")}>
          {labels.length === 0 && <option value="production">production</option>}
          {labels.map((l) => (
            <option key={l.name} value={l.name}>
              {l.name} (version {l.version})
            </option>
          ))}
        </SelectField>
        <TextField label="Primary metric" name="primaryMetric" defaultValue="thumbs" list="metric-names" hint="thumbs and conversion are rates (0/1); rating is a mean; or a custom name" error={fieldError("primaryMetric")} />
        <datalist id="metric-names">
          <option value="thumbs" />
          <option value="conversion" />
          <option value="rating" />
        </datalist>
        <TextField label="Minimum detectable effect (%)" name="mde" type="number" min="0.1" step="0.1" defaultValue="10" hint="Relative lift worth detecting; sets the sample-size default and the 'no detectable difference' verdict" error={fieldError("minDetectableEffect")} />
        <div className="flex items-center gap-2 self-end pb-2">
          <input id="higherIsBetter" name="higherIsBetter" type="checkbox" defaultChecked className="h-4 w-4" />
          <label htmlFor="higherIsBetter" className="text-sm">Higher values are better</label>
        </div>
      </div>
      <div>
        <label htmlFor={hypothesisId} className="mb-1 block text-sm font-medium text-slate-700 dark:text-slate-200">Hypothesis</label>
        <textarea id={hypothesisId} name="hypothesis" rows={2} className={control} placeholder="Greeting customers by name earns more thumbs-up." />
      </div>

      <fieldset>
        <legend className="mb-2 text-sm font-semibold">Variants</legend>
        <div className="space-y-3">
          {rows.map((r, i) => (
            <div key={r.key} className="grid items-end gap-3 rounded-md border border-slate-200 p-3 sm:grid-cols-6 dark:border-slate-700" data-testid={`variant-row-${i}`}>
              <TextField label={`Variant ${i + 1} name`} value={r.name} onChange={(e) => update(r.key, { name: e.target.value })} required error={fieldError(`variants.${i}.name`)} />
              <SelectField label={`Variant ${i + 1} version`} value={r.version} onChange={(e) => update(r.key, { version: e.target.value })} error={fieldError(`variants.${i}.version`)}>
                {versions.map((v) => (
                  <option key={v} value={v}>
                    v{v}
                    {labelsOf(v).length ? ` (${labelsOf(v).join(", ")})` : ""}
                  </option>
                ))}
              </SelectField>
              <TextField label={`Variant ${i + 1} weight`} type="number" min="0" step="1" value={r.weight} onChange={(e) => update(r.key, { weight: e.target.value })} error={fieldError(`variants.${i}.weight`)} />
              <TextField label={`Variant ${i + 1} model override`} value={r.model} placeholder="(version's model)" onChange={(e) => update(r.key, { model: e.target.value })} />
              <TextField label={`Variant ${i + 1} temperature`} type="number" min="0" max="2" step="0.1" value={r.temperature} placeholder="(version's)" onChange={(e) => update(r.key, { temperature: e.target.value })} />
              <div className="flex items-center justify-between gap-2 pb-2">
                <label className="flex items-center gap-1.5 text-sm">
                  <input type="radio" name="control" checked={controlKey === r.key} onChange={() => setControlKey(r.key)} className="h-4 w-4" />
                  Control
                </label>
                {rows.length > 2 && (
                  <Button variant="ghost" size="sm" onClick={() => setRows((rs) => rs.filter((x) => x.key !== r.key))} aria-label={`Remove variant ${r.name || i + 1}`}>
                    Remove
                  </Button>
                )}
              </div>
            </div>
          ))}
        </div>
        {error?.param === "variants" && <p role="alert" className="mt-2 text-sm text-red-700 dark:text-red-400">{error.message}</p>}
        {rows.length < 8 && (
          <Button
            variant="secondary"
            size="sm"
            className="mt-3"
            onClick={() =>
              setRows((rs) => {
                const key = Math.max(...rs.map((x) => x.key)) + 1;
                return [...rs, { key, name: String.fromCharCode(64 + Math.min(26, rs.length + 1)), version: String(prompt?.latestVersion ?? 1), weight: "50", model: "", temperature: "" }];
              })
            }
          >
            Add variant
          </Button>
        )}
      </fieldset>

      {formError && <p role="alert" className="text-sm text-red-700 dark:text-red-400">{formError}</p>}
      <Button type="submit" disabled={pending}>
        {pending ? "Creating…" : "Create draft"}
      </Button>
    </form>
  );
}
