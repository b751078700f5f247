// Client-safe input schemas for datasets, evaluation runs and scorers (lib/evals).
import { z } from "zod";
import { promptContent } from "@/lib/prompts/schemas";

export const MAX_DATASET_ROWS = 5_000;
export const MAX_UPLOAD_CHARS = 5_000_000;

const name = z.string().trim().min(1, "is required").max(120);

/** One dataset row: the prompt's variables, the expected output (optional) and free metadata. */
export const datasetRow = z.object({
  variables: z.record(z.string(), z.unknown()).default({}),
  expected: z.string().max(100_000).nullish().transform((v) => v ?? null),
  metadata: z.record(z.string(), z.unknown()).nullish().transform((v) => v ?? {}),
});
export type DatasetRow = z.output<typeof datasetRow>;

export const createDatasetInput = z.object({
  name,
  description: z.string().max(2_000).default(""),
  /** Rows of the first version, if any (an empty dataset has no version yet). */
  rows: z.array(datasetRow).max(MAX_DATASET_ROWS).optional(),
});
export type CreateDatasetInput = z.input<typeof createDatasetInput>;

export const updateDatasetInput = z.object({ name: name.optional(), description: z.string().max(2_000).optional() });

/** New rows by hand: a new version with the latest version's rows plus these (or instead of them). */
export const addRowsInput = z.object({
  rows: z.array(datasetRow).min(1, "add at least one row").max(MAX_DATASET_ROWS),
  replace: z.boolean().default(false),
});

/** An upload: CSV (header row; `expected` and `metadata` columns are special, the rest are variables) or JSONL. */
export const uploadInput = z.object({
  format: z.enum(["csv", "jsonl"]),
  content: z.string().min(1, "is empty").max(MAX_UPLOAD_CHARS),
  replace: z.boolean().default(false),
});

/** Rows from a key's request logs (newest first): the key must be the workspace's own and log requests. */
export const importLogsInput = z.object({
  apiKeyId: z.string().uuid(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  /** How many logs are read; unreadable ones are skipped (and reported), not replaced by older ones. */
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  /** The logged HTTP status to import; successful calls only unless told. */
  status: z.coerce.number().int().min(100).max(599).default(200),
  replace: z.boolean().default(false),
});
export type ImportLogsInput = z.input<typeof importLogsInput>;

// ---- scorers ----

const scorerName = z.string().trim().min(1).max(60).regex(/^[\w.-]+$/, "letters, digits, _ . - only").optional();

export const scorerConfig = z.discriminatedUnion("type", [
  z.object({ type: z.literal("exact"), name: scorerName, caseSensitive: z.boolean().default(true), trim: z.boolean().default(true) }),
  z.object({ type: z.literal("contains"), name: scorerName, value: z.string().max(10_000).optional(), caseSensitive: z.boolean().default(false) }),
  z.object({ type: z.literal("regex"), name: scorerName, pattern: z.string().min(1).max(1_000), flags: z.string().regex(/^[imsu]*$/).default("") }),
  z.object({ type: z.literal("json"), name: scorerName }),
  z.object({ type: z.literal("json_schema"), name: scorerName, schema: z.record(z.string(), z.unknown()) }),
  z.object({ type: z.literal("numeric"), name: scorerName, tolerance: z.number().min(0).default(0), relative: z.boolean().default(false) }),
  z.object({
    type: z.literal("judge"),
    name: scorerName,
    /** The rubric: a Promptgate prompt of the workspace, by label (default production) or version. */
    prompt: z.string().min(1).max(200),
    label: z.string().max(100).optional(),
    version: z.number().int().positive().optional(),
    accountId: z.string().uuid().optional(),
    model: z.string().min(1).max(200),
    /** A row passes the judge when its score is at least this. */
    passAt: z.number().optional(),
  }),
]);
export type ScorerConfig = z.output<typeof scorerConfig>;
export type ScorerType = ScorerConfig["type"];

/** The name a scorer's scores are stored under: its own, or its type (numbered when repeated). */
export function scorerNames(scorers: readonly ScorerConfig[]): string[] {
  const seen = new Map<string, number>();
  return scorers.map((s) => {
    const base = s.name ?? s.type;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}_${n}`;
  });
}

/** Pass/fail scorers score 0 or 1; the judge scores on its rubric's scale. */
export const isBinaryScorer = (s: ScorerConfig): boolean => s.type !== "judge";

export const startRunInput = z
  .object({
    datasetId: z.string().uuid(),
    /** Default: the dataset's latest version. */
    datasetVersion: z.number().int().positive().optional(),
    /** A saved version of a prompt of the workspace… */
    prompt: z.string().min(1).max(200).optional(),
    version: z.number().int().positive().optional(),
    label: z.string().max(100).optional(),
    /** …or the unsaved draft. */
    draft: promptContent.optional(),
    accountId: z.string().uuid().optional(),
    /** Default: the prompt's configured model. */
    model: z.string().min(1).max(200).optional(),
    scorers: z.array(scorerConfig).min(1, "choose at least one scorer").max(10),
    concurrency: z.number().int().min(1).max(16).default(4),
  })
  .refine((v) => v.draft !== undefined || v.prompt !== undefined, { message: "send a prompt (and a version or label), or a draft", path: ["prompt"] });
export type StartRunInput = z.input<typeof startRunInput>;

export const RUN_STATUSES = ["queued", "running", "completed", "cancelled", "failed"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const runRowsQuery = z.object({
  status: z.enum(["running", "done", "failed"]).optional(),
  /** Only rows that failed (score 0 or below passAt) this scorer. */
  failing: z.string().max(60).optional(),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** A gate on a prompt's label: moves need a completed run on the dataset reaching minScore on the scorer. */
export const setGateInput = z.object({
  prompt: z.string().min(1).max(200),
  label: z.string().min(1).max(100).default("production"),
  datasetId: z.string().uuid(),
  /** The scorer's key in the run (its name, or its type). */
  scorer: z.string().min(1).max(60),
  /** Pass rate (0–1) for pass/fail scorers, mean score for the judge. */
  minScore: z.number().nullish().transform((v) => v ?? null),
  noRegression: z.boolean().default(false),
});
export type SetGateInput = z.input<typeof setGateInput>;
