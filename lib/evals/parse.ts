import "server-only";
import { datasetRow, MAX_DATASET_ROWS, type DatasetRow } from "./schemas";

// Uploads: CSV (RFC 4180: quoted fields, "" for a quote, newlines inside quotes) or JSON Lines. Every
// row is checked; the upload is all or nothing, and the errors name each bad row by its line.

export type RowError = { line: number; message: string };
export type ParsedUpload = { rows: DatasetRow[]; errors: RowError[] };

const MAX_ERRORS = 50;

/** Splits CSV text into records of fields, each with the line it starts on. */
export function csvRecords(text: string): { line: number; fields: string[] }[] {
  const out: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let start = 1;
  let any = false;
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quoted) {
      if (ch === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === "\n") line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && field === "") {
      quoted = true;
      any = true;
    } else if (ch === ",") {
      fields.push(field);
      field = "";
      any = true;
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && s[i + 1] === "\n") i++;
      fields.push(field);
      if (any || field !== "") out.push({ line: start, fields });
      fields = [];
      field = "";
      any = false;
      line++;
      start = line;
    } else {
      field += ch;
      any = true;
    }
  }
  if (quoted) throw new Error(`line ${start}: a quoted field is not closed`);
  if (any || field !== "") {
    fields.push(field);
    out.push({ line: start, fields });
  }
  return out;
}

function checkRow(raw: unknown, line: number, rows: DatasetRow[], errors: RowError[]): void {
  const r = datasetRow.safeParse(raw);
  if (r.success) rows.push(r.data);
  else errors.push({ line, message: r.error.issues.map((i) => `${i.path.join(".") || "row"}: ${i.message}`).join("; ") });
}

/** CSV with a header: `expected` is the expected output, `metadata` a JSON object, every other column a variable. */
export function parseCsv(text: string): ParsedUpload {
  const rows: DatasetRow[] = [];
  const errors: RowError[] = [];
  let records: { line: number; fields: string[] }[];
  try {
    records = csvRecords(text);
  } catch (err) {
    return { rows, errors: [{ line: 0, message: (err as Error).message }] };
  }
  const header = records.shift();
  if (!header) return { rows, errors: [{ line: 1, message: "no header row" }] };
  const names = header.fields.map((f) => f.trim());
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (names.some((n) => !n)) return { rows, errors: [{ line: header.line, message: "a column has no name" }] };
  if (dup) return { rows, errors: [{ line: header.line, message: `the column '${dup}' appears twice` }] };
  for (const rec of records) {
    if (rec.fields.length !== names.length) {
      errors.push({ line: rec.line, message: `has ${rec.fields.length} fields, the header ${names.length}` });
      continue;
    }
    const variables: Record<string, unknown> = {};
    let expected: string | null = null;
    let metadata: unknown = {};
    let bad: string | null = null;
    names.forEach((n, i) => {
      const v = rec.fields[i]!;
      if (n === "expected") expected = v === "" ? null : v;
      else if (n === "metadata") {
        if (v.trim() === "") return;
        try {
          metadata = JSON.parse(v);
        } catch {
          bad = "metadata: is not valid JSON";
        }
      } else variables[n] = v;
    });
    if (bad) errors.push({ line: rec.line, message: bad });
    else checkRow({ variables, expected, metadata }, rec.line, rows, errors);
  }
  return { rows, errors };
}

/** JSON Lines: one object a line, `{variables, expected?, metadata?}`; blank lines are skipped. */
export function parseJsonl(text: string): ParsedUpload {
  const rows: DatasetRow[] = [];
  const errors: RowError[] = [];
  text.split(/\r?\n/).forEach((l, i) => {
    if (!l.trim()) return;
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch (err) {
      errors.push({ line: i + 1, message: `not valid JSON (${(err as Error).message})` });
      return;
    }
    if (!v || typeof v !== "object" || Array.isArray(v)) {
      errors.push({ line: i + 1, message: "must be a JSON object" });
      return;
    }
    checkRow(v, i + 1, rows, errors);
  });
  return { rows, errors };
}

export function parseUpload(format: "csv" | "jsonl", content: string): ParsedUpload {
  const out = format === "csv" ? parseCsv(content) : parseJsonl(content);
  if (!out.errors.length && out.rows.length === 0) out.errors.push({ line: 0, message: "the upload has no rows" });
  if (out.rows.length > MAX_DATASET_ROWS) out.errors.push({ line: 0, message: `at most ${MAX_DATASET_ROWS} rows` });
  return { rows: out.rows, errors: out.errors.slice(0, MAX_ERRORS) };
}
