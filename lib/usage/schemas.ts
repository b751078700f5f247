// Client-safe: the Usage page's view (range, bucket, stacking dimension,
// filters), parsed from and written to the URL so that a view can be shared.
import { z } from "zod";

export const RANGE_PRESETS = ["1h", "24h", "7d", "30d", "90d"] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];
export const BUCKETS = ["minute", "hour", "day"] as const;
export type Bucket = (typeof BUCKETS)[number];
/** What the token chart can be stacked by. "prompt" groups all versions of a prompt; "workspace" is for instance admins reading all workspaces. */
export const DIMENSIONS = ["model", "account", "key", "prompt", "version", "variant", "status", "surface", "workspace"] as const;
export type Dimension = (typeof DIMENSIONS)[number];
export const FILTERS = ["model", "key", "prompt", "account", "status", "surface"] as const;
export type FilterName = (typeof FILTERS)[number];
export const STATUSES = ["ok", "client_aborted", "upstream_error", "rejected", "error", "unavailable"] as const;
/** The API surface a call came in on (UsageEvent.surface). */
export const SURFACES = ["chat", "messages", "responses", "embeddings", "completion"] as const;
export const SURFACE_LABEL: Record<(typeof SURFACES)[number], string> = {
  chat: "Chat completions", messages: "Messages", responses: "Responses", embeddings: "Embeddings", completion: "Template completion",
};

// Shared with the gateway's request schema and prompt completions (lib/core/schemas.ts).
export { noNul, NO_NUL, usageMetadata, type UsageMetadata } from "@/lib/core/schemas";

export const PRESET_MS: Record<RangePreset, number> = {
  "1h": 3_600_000,
  "24h": 86_400_000,
  "7d": 7 * 86_400_000,
  "30d": 30 * 86_400_000,
  "90d": 90 * 86_400_000,
};

/** The longest range each bucket may be used for (a chart of at most ~1,500 points). */
export const BUCKET_MAX_SPAN_MS: Record<Bucket, number> = { minute: 86_400_000, hour: 31 * 86_400_000, day: Number.POSITIVE_INFINITY };
export const MAX_SPAN_MS = 400 * 86_400_000;

export type UsageView = {
  range: RangePreset | "custom";
  /** ISO instants, only for range = custom. */
  from?: string;
  to?: string;
  /** Overrides the bucket that follows from the range, when allowed for its span. */
  bucket?: Bucket;
  by: Dimension;
  filters: Partial<Record<FilterName, string>>;
  /**
   * Whose usage: absent = the caller's current workspace; "all" or another
   * workspace's id only for instance admins (checked on the server, usageScope()).
   */
  workspace?: WorkspaceChoice;
};

export const ALL_WORKSPACES = "all";
export type WorkspaceChoice = typeof ALL_WORKSPACES | (string & {});
const workspaceChoice = z.union([z.literal(ALL_WORKSPACES), z.uuid()]);

export const DEFAULT_VIEW: UsageView = { range: "7d", by: "model", filters: {} };

const iso = z.iso.datetime({ offset: true });
const filterValue = z.string().trim().min(1).max(200);

/** The dashboard endpoint's query string (same names as the page URL). */
export const usageViewQuery = z
  .object({
    range: z.enum([...RANGE_PRESETS, "custom"]).default(DEFAULT_VIEW.range),
    from: iso.optional(),
    to: iso.optional(),
    bucket: z.enum(BUCKETS).optional(),
    by: z.enum(DIMENSIONS).default(DEFAULT_VIEW.by),
    model: filterValue.optional(),
    key: z.uuid().optional(),
    prompt: z.uuid().optional(),
    account: z.uuid().optional(),
    status: z.enum(STATUSES).optional(),
    surface: z.enum(SURFACES).optional(),
    workspace: workspaceChoice.optional(),
  })
  .superRefine((q, ctx) => {
    if (q.range !== "custom") return;
    if (!q.from || !q.to) ctx.addIssue({ code: "custom", path: [q.from ? "to" : "from"], message: "a custom range needs both from and to" });
    else if (Date.parse(q.to) <= Date.parse(q.from)) ctx.addIssue({ code: "custom", path: ["to"], message: "must be after from" });
    else if (Date.parse(q.to) - Date.parse(q.from) > MAX_SPAN_MS) ctx.addIssue({ code: "custom", path: ["to"], message: "the range may span at most 400 days" });
  });
export type UsageViewQuery = z.output<typeof usageViewQuery>;

export function viewFromQuery(q: UsageViewQuery): UsageView {
  const filters: UsageView["filters"] = {};
  for (const f of FILTERS) if (q[f]) filters[f] = q[f];
  return {
    range: q.range,
    ...(q.range === "custom" ? { from: q.from, to: q.to } : {}),
    ...(q.bucket ? { bucket: q.bucket } : {}),
    by: q.by,
    filters,
    ...(q.workspace ? { workspace: q.workspace } : {}),
  };
}

/**
 * Reads a view from URL parameters. Anything invalid falls back to the
 * default for that part, so a hand-edited or stale link still opens.
 */
export function parseView(params: URLSearchParams | Record<string, string | string[] | undefined>): UsageView {
  const get = (k: string): string | undefined => {
    if (params instanceof URLSearchParams) return params.get(k) ?? undefined;
    const v = params[k];
    return Array.isArray(v) ? v[0] : v;
  };
  const raw = Object.fromEntries(["range", "from", "to", "bucket", "by", "workspace", ...FILTERS].map((k) => [k, get(k)]).filter(([, v]) => v !== undefined && v !== ""));
  const full = usageViewQuery.safeParse(raw);
  if (full.success) return viewFromQuery(full.data);
  // Keep what is valid, piece by piece.
  const pick = <T,>(schema: z.ZodType<T>, v: unknown): T | undefined => {
    const r = schema.safeParse(v);
    return r.success ? r.data : undefined;
  };
  const range = pick(z.enum(RANGE_PRESETS), raw.range) ?? DEFAULT_VIEW.range;
  const filters: UsageView["filters"] = {};
  const fv: Record<FilterName, z.ZodType<string>> = { model: filterValue, key: z.uuid(), prompt: z.uuid(), account: z.uuid(), status: z.enum(STATUSES), surface: z.enum(SURFACES) };
  for (const f of FILTERS) {
    const v = pick(fv[f], raw[f]);
    if (v) filters[f] = v;
  }
  const bucket = pick(z.enum(BUCKETS), raw.bucket);
  const workspace = pick(workspaceChoice, raw.workspace);
  return { range, ...(bucket ? { bucket } : {}), by: pick(z.enum(DIMENSIONS), raw.by) ?? DEFAULT_VIEW.by, filters, ...(workspace ? { workspace } : {}) };
}

/** The URL query for a view; defaults are left out so links stay short. */
export function viewToSearch(v: UsageView): string {
  const p = new URLSearchParams();
  if (v.range !== DEFAULT_VIEW.range) p.set("range", v.range);
  if (v.range === "custom") {
    if (v.from) p.set("from", v.from);
    if (v.to) p.set("to", v.to);
  }
  if (v.bucket) p.set("bucket", v.bucket);
  if (v.by !== DEFAULT_VIEW.by) p.set("by", v.by);
  if (v.workspace) p.set("workspace", v.workspace);
  for (const f of FILTERS) {
    const val = v.filters[f];
    if (val) p.set(f, val);
  }
  return p.toString();
}

/** The bucket a range gets unless the view overrides it. */
export function defaultBucket(spanMs: number): Bucket {
  if (spanMs <= 6 * 3_600_000) return "minute";
  if (spanMs <= 8 * 86_400_000) return "hour";
  return "day";
}

/** Buckets a span allows (for the bucket picker). */
export function allowedBuckets(spanMs: number): Bucket[] {
  return BUCKETS.filter((b) => spanMs <= BUCKET_MAX_SPAN_MS[b]);
}

