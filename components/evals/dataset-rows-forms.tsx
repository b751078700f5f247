"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import { send, SendError, type Issue } from "./send";

/** CSV or JSONL upload: a new version; a refused upload lists each bad row by its line. */
export function UploadForm({ datasetId }: { datasetId: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [issues, setIssues] = useState<Issue[]>([]);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      aria-label="Upload rows"
      className="space-y-3"
      onSubmit={async (e) => {
        e.preventDefault();
        const form = new FormData(e.currentTarget);
        const file = form.get("file");
        if (!(file instanceof File) || file.size === 0) return setError("Choose a file");
        const format = (form.get("format") as string) === "auto" ? (file.name.toLowerCase().endsWith(".csv") ? "csv" : "jsonl") : (form.get("format") as string);
        setBusy(true);
        setError(null);
        setIssues([]);
        setDone(null);
        try {
          const v = await send<{ version: number; rowCount: number }>("POST", `/api/admin/datasets/${datasetId}/upload`, {
            format, content: await file.text(), replace: form.get("replace") === "on",
          });
          setDone(`Version ${v.version} saved: ${v.rowCount} rows.`);
          router.refresh();
        } catch (err) {
          setError((err as Error).message);
          if (err instanceof SendError) setIssues(err.issues);
        } finally {
          setBusy(false);
        }
      }}
    >
      <div className="flex flex-wrap items-end gap-3">
        <div>
          <label htmlFor="dataset-file" className="mb-1 block text-sm font-medium text-slate-700 dark:text-slate-200">CSV or JSONL file</label>
          <input id="dataset-file" name="file" type="file" accept=".csv,.jsonl,.json,text/csv,application/json" className="text-sm" />
        </div>
        <SelectField label="Format" name="format" defaultValue="auto">
          <option value="auto">From the file name</option>
          <option value="csv">CSV</option>
          <option value="jsonl">JSONL</option>
        </SelectField>
        <label className="flex items-center gap-2 text-sm"><input type="checkbox" name="replace" /> Replace the rows (else append)</label>
        <Button type="submit" disabled={busy}>Upload</Button>
      </div>
      {done && <p role="status" className="text-sm text-green-800 dark:text-green-300">{done}</p>}
      {error && (
        <div role="alert" className="text-sm text-red-700 dark:text-red-400">
          <p>{error}</p>
          {issues.length > 0 && (
            <ul className="mt-1 list-disc pl-5" aria-label="Row errors">
              {issues.map((i) => <li key={i.path}>{i.path}: {i.message}</li>)}
            </ul>
          )}
        </div>
      )}
    </form>
  );
}

/** One row by hand: a new version with the row added. */
export function AddRowForm({ datasetId }: { datasetId: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      aria-label="Add a row"
      className="flex flex-wrap items-end gap-3"
      onSubmit={async (e) => {
        e.preventDefault();
        const el = e.currentTarget;
        const form = new FormData(el);
        let variables: unknown;
        try {
          variables = JSON.parse((form.get("variables") as string) || "{}");
        } catch {
          return setError("Variables must be a JSON object");
        }
        setBusy(true);
        setError(null);
        try {
          await send("POST", `/api/admin/datasets/${datasetId}/rows`, { rows: [{ variables, expected: (form.get("expected") as string) || null }] });
          el.reset();
          router.refresh();
        } catch (err) {
          setError((err as Error).message);
        } finally {
          setBusy(false);
        }
      }}
    >
      <TextField label="Variables (JSON)" name="variables" placeholder='{"country": "France"}' className="min-w-80" error={error} />
      <TextField label="Expected output" name="expected" />
      <Button type="submit" variant="secondary" disabled={busy}>Add row</Button>
    </form>
  );
}

/** Rows from a key's request logs (keys that log only), newest first: a new version; skipped logs are counted. */
export function ImportLogsForm({ datasetId, keys }: { datasetId: string; keys: { id: string; name: string }[] }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (!keys.length) return <p className="text-sm text-slate-600 dark:text-slate-300">No key of this workspace logs requests; logging is opt-in per key (its policy).</p>;
  return (
    <form
      aria-label="Import from request logs"
      className="flex flex-wrap items-end gap-3"
      onSubmit={async (e) => {
        e.preventDefault();
        const form = new FormData(e.currentTarget);
        setBusy(true);
        setError(null);
        setDone(null);
        try {
          const v = await send<{ version: number; rowCount: number; imported: number; skipped: unknown[] }>("POST", `/api/admin/datasets/${datasetId}/import-logs`, {
            apiKeyId: form.get("apiKeyId"), limit: Number(form.get("limit") || 100),
          });
          setDone(`Version ${v.version} saved: ${v.imported} rows imported${v.skipped.length ? `, ${v.skipped.length} logs skipped` : ""}; ${v.rowCount} rows in all.`);
          router.refresh();
        } catch (err) {
          setError((err as Error).message);
        } finally {
          setBusy(false);
        }
      }}
    >
      <SelectField label="API key" name="apiKeyId">
        {keys.map((k) => <option key={k.id} value={k.id}>{k.name}</option>)}
      </SelectField>
      <TextField label="Newest logs" name="limit" type="number" min={1} max={1000} defaultValue="100" />
      <Button type="submit" disabled={busy}>Import</Button>
      {done && <p role="status" className="w-full text-sm text-green-800 dark:text-green-300">{done}</p>}
      {error && <p role="alert" className="w-full text-sm text-red-700 dark:text-red-400">{error}</p>}
    </form>
  );
}
