"use client";
import { updateKeyFiltersAction } from "@/app/(console)/keys/actions";
import { Button } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import { useActionForm } from "@/components/ui/use-action-form";
import { piiDetectors, type FilterConfig, type FilterConfigInput } from "@/lib/filters/schemas";

const piiLabels: Record<(typeof piiDetectors)[number], string> = {
  email: "Email addresses",
  phone: "Phone numbers",
  credit_card: "Card numbers (Luhn-checked)",
  iban: "IBANs (checksum-checked)",
  ipv4: "IPv4 addresses",
  api_key: "API-key-like secrets",
};

export function KeyFilterForm({ keyId, initial }: { keyId: string; initial: FilterConfig }) {
  const { pending, done: saved, submit, fieldError, formError } = useActionForm(updateKeyFiltersAction, {
    fields: ["terms", "replacement"],
    done: (r) => `Saved: ${r.terms} term${r.terms === 1 ? "" : "s"}.`,
  });
  const termsError = fieldError("terms");

  return (
    <form
      aria-label="Content filters"
      className="grid gap-4"
      onSubmit={(e) => {
        e.preventDefault();
        const fd = new FormData(e.currentTarget);
        const filters: FilterConfigInput = {
          terms: String(fd.get("terms") ?? "")
            .split("\n")
            .map((t) => t.trim())
            .filter(Boolean),
          wholeWord: fd.get("wholeWord") === "on",
          replacement: String(fd.get("replacement") ?? "*"),
          pii: piiDetectors.filter((p) => fd.get(`pii-${p}`) === "on"),
          // The select offers only these; the server checks it again.
          request: String(fd.get("request") ?? "off") as FilterConfig["request"],
          segments: fd.get("segments") === "on",
        };
        submit(e.currentTarget, { id: keyId, ...filters });
      }}
    >
      <div>
        <label htmlFor="filter-terms" className="mb-1 block text-sm font-medium text-slate-700 dark:text-slate-200">
          Sensitive words and phrases
        </label>
        <textarea
          id="filter-terms"
          name="terms"
          rows={5}
          defaultValue={initial.terms.join("\n")}
          aria-describedby="filter-terms-hint"
          className="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-sm text-slate-900 shadow-sm dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100"
        />
        <p id="filter-terms-hint" className="mt-1 text-xs text-slate-600 dark:text-slate-400">
          One per line, matched without regard to case.
        </p>
        {termsError && <p role="alert" className="mt-1 text-xs text-red-700 dark:text-red-400">{termsError}</p>}
      </div>
      <div className="flex flex-wrap items-end gap-4">
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" name="wholeWord" defaultChecked={initial.wholeWord} /> Whole words only
        </label>
        <TextField label="Replacement character" name="replacement" defaultValue={initial.replacement} maxLength={2} className="w-48" error={fieldError("replacement")} />
        <SelectField label="Request content" name="request" defaultValue={initial.request} className="w-64">
          <option value="off">Not filtered</option>
          <option value="mask">Masked before the upstream sees it</option>
          <option value="block">Refused with 400</option>
        </SelectField>
      </div>
      <fieldset>
        <legend className="mb-1 text-sm font-medium text-slate-700 dark:text-slate-200">Personal data and secrets</legend>
        <div className="grid gap-1 sm:grid-cols-2 lg:grid-cols-3">
          {piiDetectors.map((p) => (
            <label key={p} className="flex items-center gap-2 text-sm">
              <input type="checkbox" name={`pii-${p}`} defaultChecked={initial.pii.includes(p)} /> {piiLabels[p]}
            </label>
          ))}
        </div>
      </fieldset>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" name="segments" defaultChecked={initial.segments} /> Send <code>event: segment</code> SSE events at code fences and <code>---</code> lines
      </label>
      <div className="flex items-center gap-3">
        <Button type="submit" disabled={pending}>
          {pending ? "Saving…" : "Save filters"}
        </Button>
        {saved && <p role="status" className="text-sm text-green-800 dark:text-green-300">{saved}</p>}
        {formError && <p role="alert" className="text-sm text-red-700 dark:text-red-400">{formError}</p>}
      </div>
    </form>
  );
}
