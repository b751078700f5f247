import "server-only";
import { pool } from "@/lib/db";
import { histogramPercentile, LATENCY_BUCKETS, LATENCY_THRESHOLDS_SQL, mergeHistogram } from "./histogram";
import { bucketStarts, previousWindow, resolveWindow, segments, type Segment, type Window } from "./range";
import { NIL_UUID, ROLLUP_TABLE } from "./rollups";
import { ALL_WORKSPACES, SURFACE_LABEL, type Bucket, type Dimension, type FilterName, type UsageView } from "./schemas";
import type { UsageScope } from "./scope";
import type { SeriesKey, StackedPoint, TopRow, UsageDashboard, UsagePoint, UsageTotals } from "./types";

// The Usage page's queries. Each one is a single statement over the UNION ALL
// of the segments that cover its window exactly (range.ts): daily rollup rows,
// hourly rollup rows and raw events at the edges, all projected to one shape
// and aggregated once. The four queries of a view run in parallel.

/**
 * `workspaceId` is set by the server from the caller (usageScope()), never from the query: one
 * workspace's, or null for every workspace (an instance admin's choice). It is required, so
 * "all workspaces" is never what a forgotten field means.
 */
export type Filters = Partial<Record<FilterName, string>> & { workspaceId: string | null };

const workspaceFilter = (scope: UsageScope): string | null => (scope === ALL_WORKSPACES ? null : scope);

class Sql {
  readonly params: unknown[] = [];
  p(v: unknown): string {
    this.params.push(v);
    return `$${this.params.length}`;
  }
}

const DIM_COLUMN: Record<Dimension, string> = {
  model: "model", account: `"accountId"`, key: `"apiKeyId"`, prompt: `"promptVersionId"`, version: `"promptVersionId"`,
  variant: `"variantId"`, status: "status", surface: "surface", workspace: `"workspaceId"`,
};

function filterSql(q: Sql, f: Filters, raw: boolean): string {
  const c: string[] = [];
  const col = (rollup: string, event: string) => (raw ? event : rollup);
  if (f.workspaceId !== null) c.push(`"workspaceId" = ${q.p(f.workspaceId)}::uuid`);
  if (f.model) c.push(`${col("model", `COALESCE("servedModel", "requestedModel")`)} = ${q.p(f.model)}`);
  if (f.key) c.push(`${col(`"apiKeyId"`, `COALESCE("apiKeyId", '${NIL_UUID}')`)} = ${q.p(f.key)}::uuid`);
  if (f.account) c.push(`${col(`"accountId"`, `COALESCE("accountId", '${NIL_UUID}')`)} = ${q.p(f.account)}::uuid`);
  if (f.status) c.push(`status = ${q.p(f.status)}`);
  if (f.surface) c.push(`surface = ${q.p(f.surface)}`);
  if (f.prompt) c.push(`"promptVersionId" IN (SELECT id FROM "PromptVersion" WHERE "promptId" = ${q.p(f.prompt)}::uuid)`);
  return c.map((s) => ` AND ${s}`).join("");
}

type Measure = "requests" | "errors" | "inputTokens" | "outputTokens" | "cachedTokens" | "costUsd" | "latencySumMs" | "latencyCount" | "ttftSumMs" | "ttftCount";
const ALL: Measure[] = ["requests", "errors", "inputTokens", "outputTokens", "cachedTokens", "costUsd", "latencySumMs", "latencyCount", "ttftSumMs", "ttftCount"];
const CHART: Measure[] = ["requests", "errors", "inputTokens", "outputTokens", "cachedTokens", "costUsd"];
const RAW_MEASURE: Record<Measure, string> = {
  requests: "1", errors: "(status <> 'ok')::int", inputTokens: `"inputTokens"::int8`, outputTokens: `"outputTokens"::int8`,
  cachedTokens: `"cachedTokens"::int8`, costUsd: `"costUsd"`, latencySumMs: `(CASE WHEN status = 'ok' THEN "latencyMs" ELSE 0 END)::int8`,
  latencyCount: "(status = 'ok')::int", ttftSumMs: `COALESCE("ttftMs", 0)::int8`, ttftCount: `("ttftMs" IS NOT NULL)::int`,
};
const RAW_DIM: Record<string, string> = {
  model: `COALESCE("servedModel", "requestedModel")`, accountId: `COALESCE("accountId", '${NIL_UUID}')`, apiKeyId: `COALESCE("apiKeyId", '${NIL_UUID}')`,
  promptVersionId: `COALESCE("promptVersionId", '${NIL_UUID}')`, variantId: `COALESCE("variantId", '${NIL_UUID}')`, status: "status", surface: "surface",
  workspaceId: `"workspaceId"`,
};
const ALL_DIMS = ["model", "accountId", "apiKeyId", "promptVersionId", "variantId", "status", "surface", "workspaceId"];
const ident = (c: string) => (c === "model" || c === "status" || c === "surface" ? c : `"${c}"`);

type Shape = { dims: string[]; measures: Measure[]; hist: boolean };

/**
 * One segment projected to a common shape: t (bucket start, or NULL for
 * totals), the dimensions and measures asked for, and the latency histogram as
 * an array (rollups) or a bucket index (raw events). Projecting only what a
 * query needs keeps the scans narrow.
 */
function segmentSql(q: Sql, seg: Segment, bucket: Bucket | null, f: Filters, shape: Shape): string {
  if (seg.source === "raw") {
    const t = bucket ? `date_trunc('${bucket}', "createdAt", 'UTC')` : "NULL::timestamptz";
    const cols = [
      `${t} AS t`,
      ...shape.dims.map((d) => `${RAW_DIM[d]} AS ${ident(d)}`),
      ...shape.measures.map((m) => `${RAW_MEASURE[m]} AS "${m}"`),
      ...(shape.hist ? [`NULL::int4[] AS h`, `CASE WHEN status = 'ok' THEN width_bucket("latencyMs", ${LATENCY_THRESHOLDS_SQL}) END AS wb`] : []),
    ];
    return `SELECT ${cols.join(", ")} FROM "UsageEvent" WHERE "createdAt" >= ${q.p(seg.from)} AND "createdAt" < ${q.p(seg.to)}${filterSql(q, f, true)}`;
  }
  const t = !bucket ? "NULL::timestamptz" : bucket === seg.source ? "bucket" : `date_trunc('${bucket}', bucket, 'UTC')`;
  const cols = [
    `${t} AS t`,
    ...shape.dims.map(ident),
    ...shape.measures.map((m) => `"${m}"`),
    ...(shape.hist ? [`"latencyBuckets" AS h`, `NULL::int AS wb`] : []),
  ];
  return `SELECT ${cols.join(", ")} FROM "${ROLLUP_TABLE[seg.source]}" WHERE bucket >= ${q.p(seg.from)} AND bucket < ${q.p(seg.to)}${filterSql(q, f, false)}`;
}

function unionSql(q: Sql, segs: Segment[], bucket: Bucket | null, f: Filters, shape: Shape): string {
  // An empty window still yields a well-formed (empty) relation.
  const parts = segs.length ? segs : [{ source: "raw" as const, from: new Date(0), to: new Date(0) }];
  return parts.map((s) => segmentSql(q, s, bucket, f, shape)).join("\nUNION ALL\n");
}

const SUM_CAST: Record<Measure, string> = {
  requests: "::int8", errors: "::int8", inputTokens: "::int8", outputTokens: "::int8", cachedTokens: "::int8", costUsd: "",
  latencySumMs: "::int8", latencyCount: "::int8", ttftSumMs: "::int8", ttftCount: "::int8",
};
const sums = (ms: Measure[]) => ms.map((m) => `sum("${m}")${SUM_CAST[m]} AS "${m}"`).join(", ");
const SUMS = sums(ALL);

const HIST_SUMS = Array.from({ length: LATENCY_BUCKETS }, (_, i) => `COALESCE(sum(h[${i + 1}]), 0) + count(*) FILTER (WHERE wb = ${i})`).join(", ");
const HIST_SELECT = `ARRAY[${HIST_SUMS}]::int8[] AS hist`;
const ROLLUP_HIST = `ARRAY[${Array.from({ length: LATENCY_BUCKETS }, (_, i) => `COALESCE(sum(h[${i + 1}]), 0)`).join(", ")}]::int8[] AS hist`;

/**
 * Latency histograms per bucket start (null key: the whole window). Rollup rows
 * (element-wise sums of their arrays) and raw edges (counts per bucket index)
 * are separate statements, run in parallel and merged here, so neither pays
 * for the other's shape.
 */
async function histograms(segs: Segment[], bucket: Bucket | null, f: Filters): Promise<Map<number | null, number[]>> {
  const rollups = segs.filter((s) => s.source !== "raw");
  const raws = segs.filter((s) => s.source === "raw");
  const shape: Shape = { dims: [], measures: [], hist: true };
  const q1 = new Sql();
  const q2 = new Sql();
  const [a, b] = await Promise.all([
    rollups.length
      ? pool().query<{ t: Date | null; hist: string[] }>(`SELECT t, ${ROLLUP_HIST} FROM (${unionSql(q1, rollups, bucket, f, shape)}) u GROUP BY t`, q1.params)
      : { rows: [] },
    raws.length
      ? pool().query<{ t: Date | null; wb: number; n: string }>(`SELECT t, wb, count(*) AS n FROM (${unionSql(q2, raws, bucket, f, shape)}) u WHERE wb IS NOT NULL GROUP BY t, wb`, q2.params)
      : { rows: [] },
  ]);
  const out = new Map<number | null, number[]>();
  const at = (t: Date | null) => {
    const k = t ? t.getTime() : null;
    let h = out.get(k);
    if (!h) out.set(k, (h = new Array<number>(LATENCY_BUCKETS).fill(0)));
    return h;
  };
  for (const r of a.rows) mergeHistogram(at(r.t), r.hist.map(Number));
  for (const r of b.rows) at(r.t)[r.wb]! += Number(r.n);
  return out;
}

type SumRow = {
  requests: string; errors: string; inputTokens: string; outputTokens: string; cachedTokens: string; costUsd: string | null;
  latencySumMs: string; latencyCount: string; ttftSumMs: string; ttftCount: string;
};
type Sums = { requests: number; errors: number; inputTokens: number; outputTokens: number; cachedTokens: number; costUsd: number; latencySumMs: number; latencyCount: number; ttftSumMs: number; ttftCount: number };

const zeroSums = (): Sums => ({ requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, costUsd: 0, latencySumMs: 0, latencyCount: 0, ttftSumMs: 0, ttftCount: 0 });
function toSums(r: SumRow | undefined): Sums {
  if (!r) return zeroSums();
  return {
    requests: Number(r.requests ?? 0), errors: Number(r.errors ?? 0), inputTokens: Number(r.inputTokens ?? 0), outputTokens: Number(r.outputTokens ?? 0),
    cachedTokens: Number(r.cachedTokens ?? 0), costUsd: Number(r.costUsd ?? 0), latencySumMs: Number(r.latencySumMs ?? 0),
    latencyCount: Number(r.latencyCount ?? 0), ttftSumMs: Number(r.ttftSumMs ?? 0), ttftCount: Number(r.ttftCount ?? 0),
  };
}
function addSums(a: Sums, b: Sums): Sums {
  const out = { ...a };
  for (const k of Object.keys(b) as (keyof Sums)[]) out[k] += b[k];
  return out;
}
const round8 = (n: number) => Math.round(n * 1e8) / 1e8;

function totals(s: Sums, p50: number | null, p95: number | null): UsageTotals {
  return {
    requests: s.requests, errors: s.errors, errorRate: s.requests ? s.errors / s.requests : 0,
    inputTokens: s.inputTokens, outputTokens: s.outputTokens, cachedTokens: s.cachedTokens, costUsd: round8(s.costUsd),
    avgLatencyMs: s.latencyCount ? Math.round(s.latencySumMs / s.latencyCount) : null,
    p50LatencyMs: p50, p95LatencyMs: p95,
    avgTtftMs: s.ttftCount ? Math.round(s.ttftSumMs / s.ttftCount) : null,
  };
}

// ------------------------------------------------------------------ queries

type SeriesRow = SumRow & { t: Date; dim: string };

/** Measures per (bucket, dimension value) over the window; the stacked chart and the totals come from it. */
export async function seriesByDimension(w: Window, f: Filters, by: Dimension): Promise<SeriesRow[]> {
  const q = new Sql();
  const dim = DIM_COLUMN[by];
  const sql = `SELECT t, ${dim}::text AS dim, ${sums(CHART)}
  FROM (${unionSql(q, segments(w.from.getTime(), w.to.getTime(), w.bucket), w.bucket, f, { dims: [dim.replace(/"/g, "")], measures: CHART, hist: false })}) u GROUP BY 1, 2`;
  return (await pool().query<SeriesRow>(sql, q.params)).rows;
}

type LatencyRow = { t: Date | null; hist?: string[]; p50?: number | null; p95?: number | null };

/**
 * p50/p95 latency per bucket and over the whole window. Minute buckets read
 * raw events only, so their percentiles are exact; otherwise they come from the
 * merged histograms (histogram.ts documents the accuracy).
 */
export async function latencyByBucket(w: Window, f: Filters): Promise<{ exact: boolean; points: Map<number, { p50: number | null; p95: number | null }>; p50: number | null; p95: number | null }> {
  const q = new Sql();
  const segs = segments(w.from.getTime(), w.to.getTime(), w.bucket);
  const points = new Map<number, { p50: number | null; p95: number | null }>();
  if (segs.every((s) => s.source === "raw")) {
    const sql = `SELECT t, percentile_disc(0.5) WITHIN GROUP (ORDER BY "latencySumMs") AS p50, percentile_disc(0.95) WITHIN GROUP (ORDER BY "latencySumMs") AS p95
  FROM (${unionSql(q, segs, w.bucket, f, { dims: [], measures: ["latencySumMs", "latencyCount"], hist: false })}) u WHERE "latencyCount" = 1 GROUP BY GROUPING SETS ((t), ())`;
    const { rows } = await pool().query<LatencyRow>(sql, q.params);
    let all: LatencyRow | undefined;
    for (const r of rows) {
      if (r.t === null) all = r;
      else points.set(r.t.getTime(), { p50: num(r.p50), p95: num(r.p95) });
    }
    return { exact: true, points, p50: num(all?.p50), p95: num(all?.p95) };
  }
  let total: number[] = [];
  for (const [t, h] of await histograms(segs, w.bucket, f)) {
    total = mergeHistogram(total, h);
    points.set(t!, { p50: histogramPercentile(h, 50), p95: histogramPercentile(h, 95) });
  }
  return { exact: false, points, p50: histogramPercentile(total, 50), p95: histogramPercentile(total, 95) };
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Totals and percentiles of a window (the previous period's KPIs). */
export async function windowTotals(w: Window, f: Filters, exact: boolean): Promise<UsageTotals> {
  const q = new Sql();
  if (exact) {
    const sql = `SELECT ${SUMS},
      percentile_disc(0.5) WITHIN GROUP (ORDER BY "latencySumMs") FILTER (WHERE "latencyCount" = 1) AS p50,
      percentile_disc(0.95) WITHIN GROUP (ORDER BY "latencySumMs") FILTER (WHERE "latencyCount" = 1) AS p95
      FROM (${unionSql(q, [{ source: "raw", from: w.from, to: w.to }], null, f, { dims: [], measures: ALL, hist: false })}) u`;
    const r = (await pool().query<SumRow & { p50: number | null; p95: number | null }>(sql, q.params)).rows[0];
    return totals(toSums(r), num(r?.p50), num(r?.p95));
  }
  const segs = segments(w.from.getTime(), w.to.getTime(), "day");
  const sql = `SELECT ${SUMS} FROM (${unionSql(q, segs, null, f, { dims: [], measures: ALL, hist: false })}) u`;
  const [res, hists] = await Promise.all([pool().query<SumRow>(sql, q.params), histograms(segs, null, f)]);
  const r = res.rows[0];
  const h = hists.get(null) ?? [];
  return totals(toSums(r), histogramPercentile(h, 50), histogramPercentile(h, 95));
}

type TopSqlRow = SumRow & { model: string | null; key: string | null; version: string | null; account: string | null; workspace: string | null };

/** Requests, tokens and cost per model, key, prompt version, account and workspace, in one scan. */
export async function topByDimension(w: Window, f: Filters): Promise<TopSqlRow[]> {
  const q = new Sql();
  const measures: Measure[] = ["requests", "inputTokens", "outputTokens", "costUsd"];
  const sql = `SELECT model, "apiKeyId"::text AS key, "promptVersionId"::text AS version, "accountId"::text AS account, "workspaceId"::text AS workspace, ${sums(measures)}
  FROM (${unionSql(q, segments(w.from.getTime(), w.to.getTime(), "day"), null, f, { dims: ["model", "apiKeyId", "promptVersionId", "accountId", "workspaceId"], measures, hist: false })}) u
  GROUP BY GROUPING SETS ((model), ("apiKeyId"), ("promptVersionId"), ("accountId"), ("workspaceId"))`;
  return (await pool().query<TopSqlRow>(sql, q.params)).rows;
}

// ------------------------------------------------------------------- labels

export type Labels = {
  keys: Map<string, string>; accounts: Map<string, string>; versions: Map<string, { label: string; promptId: string }>; prompts: Map<string, string>; variants: Map<string, string>;
  workspaces: Map<string, string>;
};

export async function labelsFor(ids: { keys?: string[]; accounts?: string[]; versions?: string[]; prompts?: string[]; variants?: string[]; workspaces?: string[] }): Promise<Labels> {
  const real = (a?: string[]) => [...new Set((a ?? []).filter((id) => id && id !== NIL_UUID))];
  const { rows } = await pool().query<{ kind: string; id: string; label: string; extra: string | null }>(
    `SELECT 'key' AS kind, id::text, name AS label, NULL AS extra FROM "ApiKey" WHERE id = ANY($1::uuid[])
     UNION ALL SELECT 'account', id::text, name, NULL FROM "ProviderAccount" WHERE id = ANY($2::uuid[])
     UNION ALL SELECT 'version', v.id::text, p.name || ' v' || v.version, v."promptId"::text FROM "PromptVersion" v JOIN "Prompt" p ON p.id = v."promptId" WHERE v.id = ANY($3::uuid[])
     UNION ALL SELECT 'prompt', id::text, name, NULL FROM "Prompt" WHERE id = ANY($4::uuid[])
     UNION ALL SELECT 'variant', v.id::text, e.name || ' / ' || v.name, NULL FROM "ExperimentVariant" v JOIN "Experiment" e ON e.id = v."experimentId" WHERE v.id = ANY($5::uuid[])
     UNION ALL SELECT 'workspace', id::text, name, NULL FROM "Workspace" WHERE id = ANY($6::uuid[])`,
    [real(ids.keys), real(ids.accounts), real(ids.versions), real(ids.prompts), real(ids.variants), real(ids.workspaces)],
  );
  const out: Labels = { keys: new Map(), accounts: new Map(), versions: new Map(), prompts: new Map(), variants: new Map(), workspaces: new Map() };
  for (const r of rows) {
    if (r.kind === "key") out.keys.set(r.id, r.label);
    else if (r.kind === "account") out.accounts.set(r.id, r.label);
    else if (r.kind === "prompt") out.prompts.set(r.id, r.label);
    else if (r.kind === "variant") out.variants.set(r.id, r.label);
    else if (r.kind === "workspace") out.workspaces.set(r.id, r.label);
    else out.versions.set(r.id, { label: r.label, promptId: r.extra ?? r.id });
  }
  return out;
}

const STATUS_LABEL: Record<string, string> = { ok: "OK", client_aborted: "Client aborted", upstream_error: "Upstream error", rejected: "Rejected", error: "Error", unavailable: "Database unavailable" };
const short = (id: string) => `${id.slice(0, 8)}…`;

function labelOf(dim: Dimension, id: string, l: Labels): string {
  if (dim === "model") return id;
  if (dim === "status") return STATUS_LABEL[id] ?? id;
  if (dim === "surface") return SURFACE_LABEL[id as keyof typeof SURFACE_LABEL] ?? id;
  if (dim === "workspace") return l.workspaces.get(id) ?? `Workspace ${short(id)}`;
  if (id === NIL_UUID) return { account: "No account", key: "No key", prompt: "No prompt", version: "No prompt", variant: "No variant" }[dim];
  if (dim === "key") return l.keys.get(id) ?? `Deleted key ${short(id)}`;
  if (dim === "account") return l.accounts.get(id) ?? `Deleted account ${short(id)}`;
  if (dim === "version") return l.versions.get(id)?.label ?? `Version ${short(id)}`;
  if (dim === "prompt") return l.prompts.get(id) ?? `Prompt ${short(id)}`;
  return l.variants.get(id) ?? `Variant ${short(id)}`;
}

// ---------------------------------------------------------------- dashboard

const STACK_TOP = 8;
const TOP_N = 10;
export const OTHER_KEY = "__other";

/**
 * Everything the Usage page shows for one view, in one round trip from the browser.
 * `scope` comes from usageScope() (the caller's workspace, or all for an instance admin), never from the view.
 */
export async function usageDashboard(scope: UsageScope, view: UsageView, now: number = Date.now()): Promise<UsageDashboard> {
  const w = resolveWindow(view, now);
  const prev = previousWindow(w);
  const f: Filters = { ...view.filters, workspaceId: workspaceFilter(scope) };
  // Minute buckets read raw events only, so both periods' percentiles are exact.
  const exact = w.bucket === "minute";
  const [series, latency, top, previous] = await Promise.all([
    seriesByDimension(w, f, view.by), latencyByBucket(w, f), topByDimension(w, f), windowTotals(prev, f, exact),
  ]);

  // Labels for every id that will be shown.
  const ids = { keys: [] as string[], accounts: [] as string[], versions: [] as string[], prompts: [] as string[], variants: [] as string[], workspaces: [] as string[] };
  const dimIds = { key: ids.keys, account: ids.accounts, prompt: ids.versions, version: ids.versions, variant: ids.variants, workspace: ids.workspaces, model: null, status: null, surface: null }[view.by];
  if (dimIds) for (const r of series) dimIds.push(r.dim);
  for (const r of top) {
    if (r.key) ids.keys.push(r.key);
    if (r.account) ids.accounts.push(r.account);
    if (r.version) ids.versions.push(r.version);
    if (r.workspace) ids.workspaces.push(r.workspace);
  }
  const labels = await labelsFor(ids);

  // "prompt" groups versions by their prompt.
  const dimOf = (id: string) => (view.by === "prompt" ? (id === NIL_UUID ? id : (labels.versions.get(id)?.promptId ?? id)) : id);
  if (view.by === "prompt") {
    const promptIds = [...new Set(series.map((r) => dimOf(r.dim)))];
    const more = await labelsFor({ prompts: promptIds });
    for (const [k, v] of more.prompts) labels.prompts.set(k, v);
  }

  // Points per bucket (every bucket present, zero-filled).
  const starts = bucketStarts(w);
  const byT = new Map<number, Sums>(starts.map((t) => [t, zeroSums()]));
  const tokensByDim = new Map<string, number>();
  const cells = new Map<string, number>(); // `${t}|${dim}` → tokens
  let all = zeroSums();
  for (const r of series) {
    const t = r.t.getTime();
    const s = toSums(r);
    byT.set(t, addSums(byT.get(t) ?? zeroSums(), s));
    all = addSums(all, s);
    const d = dimOf(r.dim);
    const tokens = s.inputTokens + s.outputTokens;
    tokensByDim.set(d, (tokensByDim.get(d) ?? 0) + tokens);
    cells.set(`${t}|${d}`, (cells.get(`${t}|${d}`) ?? 0) + tokens);
  }
  const points: UsagePoint[] = [...byT.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([t, s]) => ({
      t, requests: s.requests, errors: s.errors, inputTokens: s.inputTokens, outputTokens: s.outputTokens, cachedTokens: s.cachedTokens,
      costUsd: round8(s.costUsd), p50LatencyMs: latency.points.get(t)?.p50 ?? null, p95LatencyMs: latency.points.get(t)?.p95 ?? null,
    }));

  const ranked = [...tokensByDim.entries()].sort((a, b) => b[1] - a[1]);
  const shown = ranked.slice(0, STACK_TOP).map(([id]) => id);
  const hasOther = ranked.length > STACK_TOP;
  const keys: SeriesKey[] = shown.map((id) => ({ id, label: labelOf(view.by, id, labels) }));
  if (hasOther) keys.push({ id: OTHER_KEY, label: `Other (${ranked.length - STACK_TOP})` });
  const shownSet = new Set(shown);
  const stackedPoints: StackedPoint[] = points.map(({ t }) => {
    const p: StackedPoint = { t } as StackedPoint;
    for (const id of shown) p[id] = cells.get(`${t}|${id}`) ?? 0;
    if (hasOther) p[OTHER_KEY] = 0;
    return p;
  });
  if (hasOther) {
    const index = new Map(stackedPoints.map((p) => [p.t, p]));
    for (const [cell, tokens] of cells) {
      const [t, d] = [Number(cell.slice(0, cell.indexOf("|"))), cell.slice(cell.indexOf("|") + 1)];
      if (!shownSet.has(d)) index.get(t)![OTHER_KEY]! += tokens;
    }
  }

  const topOf = (dim: "model" | "key" | "version" | "account" | "workspace", labelDim: Dimension): TopRow[] => {
    const rows = top.filter((r) => r[dim] !== null).map((r) => {
      const s = toSums(r);
      const id = r[dim]!;
      return { id, label: labelOf(labelDim, id, labels), requests: s.requests, tokens: s.inputTokens + s.outputTokens, costUsd: round8(s.costUsd) };
    });
    const byCost = [...rows].sort((a, b) => b.costUsd - a.costUsd || b.tokens - a.tokens).slice(0, TOP_N);
    const byTokens = [...rows].sort((a, b) => b.tokens - a.tokens).slice(0, TOP_N);
    const seen = new Set<string>();
    return [...byCost, ...byTokens].filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true)));
  };

  return {
    window: { from: w.from.toISOString(), to: w.to.toISOString(), bucket: w.bucket, previousFrom: prev.from.toISOString(), by: view.by },
    latencySource: latency.exact ? "exact" : "histogram",
    current: totals(all, latency.p50, latency.p95),
    previous,
    points,
    stacked: { keys, points: stackedPoints },
    top: {
      models: topOf("model", "model"), keys: topOf("key", "key"), prompts: topOf("version", "version"), accounts: topOf("account", "account"),
      workspaces: topOf("workspace", "workspace"),
    },
  };
}

/** Per bucket and every dimension, with labels, ordered by bucket: the aggregate CSV export's query. */
export function exportAggregateSql(segs: Segment[], bucket: Bucket, f: Filters): { sql: string; params: unknown[] } {
  const q = new Sql();
  const sql = `SELECT u.t, u.model, u."accountId"::text AS "accountId", a.name AS "accountName", u."apiKeyId"::text AS "apiKeyId", k.name AS "keyName",
    u."promptVersionId"::text AS "promptVersionId", p.name || ' v' || v.version AS "promptLabel", u."variantId"::text AS "variantId", u.status, u.surface,
    u.requests, u.errors, u."inputTokens", u."outputTokens", u."cachedTokens", u."costUsd"::text AS "costUsd", u."latencySumMs", u."latencyCount",
    u."ttftSumMs", u."ttftCount", u.hist, u."workspaceId"::text AS "workspaceId", ws.name AS "workspaceName"
  FROM (SELECT t, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status, surface, "workspaceId", ${SUMS}, ${HIST_SELECT}
          FROM (${unionSql(q, segs, bucket, f, { dims: ALL_DIMS, measures: ALL, hist: true })}) s GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9) u
  LEFT JOIN "ProviderAccount" a ON a.id = u."accountId" LEFT JOIN "ApiKey" k ON k.id = u."apiKeyId"
  LEFT JOIN "PromptVersion" v ON v.id = u."promptVersionId" LEFT JOIN "Prompt" p ON p.id = v."promptId"
  LEFT JOIN "Workspace" ws ON ws.id = u."workspaceId"
  ORDER BY u.t, u."workspaceId", u.model, u."accountId", u."apiKeyId", u."promptVersionId", u."variantId", u.status, u.surface`;
  return { sql, params: q.params };
}

/** Requests and errors per account over a window, in a workspace or all of them (the Overview's account card). */
export async function accountTotals(w: Window, scope: UsageScope = ALL_WORKSPACES): Promise<Map<string, { requests: number; errors: number }>> {
  const q = new Sql();
  const sql = `SELECT "accountId"::text AS id, ${sums(["requests", "errors"])}
  FROM (${unionSql(q, segments(w.from.getTime(), w.to.getTime(), "day"), null, { workspaceId: workspaceFilter(scope) }, { dims: ["accountId"], measures: ["requests", "errors"], hist: false })}) u GROUP BY 1`;
  const { rows } = await pool().query<{ id: string; requests: string; errors: string }>(sql, q.params);
  return new Map(rows.map((r) => [r.id, { requests: Number(r.requests), errors: Number(r.errors) }]));
}

/**
 * Choices for the page's filters: models seen in the last 90 days, and the keys, prompts and accounts
 * that exist, in one workspace or (named after theirs) in all of them.
 */
export async function usageFilterOptions(scope: UsageScope, now = Date.now()) {
  const since = new Date(Math.floor((now - 90 * 86_400_000) / 86_400_000) * 86_400_000);
  const workspaceId = workspaceFilter(scope);
  const named = workspaceId === null;
  const [models, owned] = await Promise.all([
    pool().query<{ model: string }>(`SELECT DISTINCT model FROM "${ROLLUP_TABLE.day}" WHERE bucket >= $1 AND ($2::uuid IS NULL OR "workspaceId" = $2::uuid) ORDER BY 1`, [since, workspaceId]),
    pool().query<{ kind: string; id: string; label: string }>(
      `SELECT 'key' AS kind, k.id::text, k.name || ' (' || k.prefix || '…)'${named ? ` || ' · ' || w.name` : ""} AS label FROM "ApiKey" k JOIN "Workspace" w ON w.id = k."workspaceId"
        WHERE $1::uuid IS NULL OR k."workspaceId" = $1::uuid
       UNION ALL SELECT 'account', id::text, name FROM "ProviderAccount"
       UNION ALL SELECT 'prompt', p.id::text, p.name${named ? ` || ' · ' || w.name` : ""} FROM "Prompt" p JOIN "Workspace" w ON w.id = p."workspaceId"
        WHERE $1::uuid IS NULL OR p."workspaceId" = $1::uuid
       ORDER BY 1, 3`,
      [workspaceId],
    ),
  ]);
  const of = (kind: string) => owned.rows.filter((r) => r.kind === kind).map((r) => ({ value: r.id, label: r.label }));
  return { models: models.rows.map((r) => ({ value: r.model, label: r.model })), keys: of("key"), prompts: of("prompt"), accounts: of("account") };
}
