import { z } from "zod";

// Client-safe: zod inputs and the view types the console renders.

export const experimentStatuses = ["draft", "running", "paused", "completed"] as const;
export type ExperimentStatus = (typeof experimentStatuses)[number];

/** Built-in feedback metrics and how they are analysed; custom names are binary when every value is 0 or 1. */
export const BUILTIN_METRICS = { thumbs: "binary", conversion: "binary", rating: "continuous" } as const;
export const BINARY_METRICS: readonly string[] = ["thumbs", "conversion"];

export const SUBJECT_HEADER = "x-promptgate-subject";
export const VARIANT_HEADER = "x-promptgate-variant";
export const EXPERIMENT_HEADER = "x-promptgate-experiment";

export const metricName = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9_.-]{0,63}$/, "must be lower-case letters, digits, '_', '.' or '-' (at most 64), starting with a letter");

const variantName = z
  .string()
  .trim()
  .min(1, "is required")
  .max(40, "must be at most 40 characters")
  .regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/, "may use letters, digits, spaces, '_', '.' and '-'");

/** Per-variant changes to the version's model config, applied under the request's own overrides. */
export const variantOverrides = z.strictObject({
  model: z.string().trim().min(1).max(256).optional(),
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.number().int().positive().max(1_000_000).optional(),
  top_p: z.number().min(0).max(1).optional(),
});
export type VariantOverrides = z.infer<typeof variantOverrides>;

const weight = z.number({ message: "must be a whole number" }).int("must be a whole number").min(0, "cannot be negative").max(10_000);

export const variantInput = z.strictObject({
  name: variantName,
  version: z.number({ message: "pick a version" }).int().positive(),
  weight,
  control: z.boolean().default(false),
  overrides: variantOverrides.default({}),
});

function checkVariants(variants: { name: string; weight: number; control: boolean }[], ctx: z.RefinementCtx, path: string) {
  const seen = new Set<string>();
  variants.forEach((v, i) => {
    const key = v.name.toLowerCase();
    if (seen.has(key)) ctx.addIssue({ code: "custom", path: [path, i, "name"], message: `'${v.name}' is used twice` });
    seen.add(key);
  });
  const controls = variants.filter((v) => v.control).length;
  if (controls > 1) ctx.addIssue({ code: "custom", path: [path], message: "mark exactly one variant as the control" });
  if (variants.filter((v) => v.weight > 0).length < 2) ctx.addIssue({ code: "custom", path: [path], message: "at least two variants need a weight above 0" });
}

export const createExperimentInput = z
  .strictObject({
    name: z.string().trim().min(1, "is required").max(100),
    prompt: z.string().trim().min(1, "pick a prompt").max(100),
    label: z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9._-]{0,49}$/, "must be a label name")
      .default("production"),
    hypothesis: z.string().trim().max(2000).default(""),
    primaryMetric: metricName.default("thumbs"),
    higherIsBetter: z.boolean().default(true),
    minDetectableEffect: z.number().gt(0, "must be above 0").max(10).default(0.1),
    variants: z.array(variantInput).min(2, "add at least two variants").max(8, "at most 8 variants"),
  })
  .superRefine((v, ctx) => checkVariants(v.variants, ctx, "variants"));
export type CreateExperimentInput = z.input<typeof createExperimentInput>;

/** What the lifecycle controls send: start a draft, pause a running experiment, resume a paused one. */
export const lifecycleStep = z.enum(["start", "pause", "resume"]);

/** New weights by variant name; a running experiment starts a new phase. */
export const changeWeightsInput = z.strictObject({
  weights: z.record(z.string(), weight),
});
export type ChangeWeightsInput = z.input<typeof changeWeightsInput>;

export const completeExperimentInput = z.strictObject({
  /** The variant declared the winner (by name); omit to complete without one. */
  winner: z.string().trim().min(1).optional(),
  /** Move the experiment's label to the winner's version (needs a winner). */
  promote: z.boolean().default(false),
});
export type CompleteExperimentInput = z.input<typeof completeExperimentInput>;

const feedbackMetadata = z
  .record(z.string().max(64), z.union([z.string().max(512), z.number(), z.boolean()]))
  .refine((m) => Object.keys(m).length <= 16, "at most 16 keys");

export const feedbackInput = z
  .strictObject({
    completion_id: z.string({ message: "is required" }).trim().min(1, "is required").max(128),
    name: metricName,
    value: z.number({ message: "must be a number" }).finite(),
    comment: z.string().max(2000).optional(),
    metadata: feedbackMetadata.optional(),
  })
  .superRefine((f, ctx) => {
    if (BINARY_METRICS.includes(f.name) && f.value !== 0 && f.value !== 1) {
      ctx.addIssue({ code: "custom", path: ["value"], message: `'${f.name}' takes 1 (yes) or 0 (no)` });
    }
  });
export type FeedbackInput = z.input<typeof feedbackInput>;

export const resultsQuery = z.object({
  phase: z.coerce.number().int().positive().optional(),
});

// ---------------------------------------------------------------- views

export type VariantView = {
  id: string;
  name: string;
  promptVersion: number;
  weight: number;
  isControl: boolean;
  overrides: VariantOverrides;
};

export type PhaseView = {
  id: string;
  number: number;
  reason: string;
  startedAt: string | null;
  endedAt: string | null;
  variants: VariantView[];
};

export type ExperimentView = {
  id: string;
  name: string;
  promptId: string;
  promptName: string;
  label: string;
  status: ExperimentStatus;
  hypothesis: string;
  primaryMetric: string;
  higherIsBetter: boolean;
  minDetectableEffect: number;
  demo: boolean;
  createdByEmail: string | null;
  winnerVariantName: string | null;
  startedAt: string | null;
  completedAt: string | null;
  createdAt: string;
  phases: PhaseView[];
};

export type ExperimentListItem = Pick<
  ExperimentView,
  "id" | "name" | "promptName" | "label" | "status" | "primaryMetric" | "demo" | "startedAt" | "completedAt" | "createdAt" | "winnerVariantName"
> & { phase: number; variants: string[]; requests: number };

export type Interval = { estimate: number; lower: number; upper: number };

export type MetricCell = { name: string; kind: "binary" | "continuous"; n: number; mean: number; interval: Interval };

export type VariantResult = {
  id: string;
  name: string;
  isControl: boolean;
  weight: number;
  promptVersion: number;
  requests: number;
  uniqueSubjects: number;
  nonSticky: number;
  errorRate: number;
  latencyP50: number | null;
  latencyP95: number | null;
  ttftP50: number | null;
  tokensPerRequest: number | null;
  costPerRequest: number | null;
  metrics: MetricCell[];
};

export type Verdict = "significant" | "keep running" | "no detectable difference at this sample size";

export type PrimaryComparison = {
  variant: string;
  absoluteLift: Interval;
  relativeLift: Interval;
  test: "two-proportion z-test" | "Welch's t-test";
  statistic: number;
  pValue: number;
  alwaysValidPValue: number;
  confidenceSequence: Interval;
  verdict: Verdict;
  probabilityBeatsControl: number;
  alpha: number;
};

export type ChartPoint = { t: string; phase: number } & Record<string, number | string | null>;

export type ExperimentResults = {
  experiment: ExperimentView;
  phase: PhaseView;
  generatedAt: string;
  primary: {
    metric: string;
    kind: "binary" | "continuous";
    higherIsBetter: boolean;
    control: string | null;
    comparisons: PrimaryComparison[];
    probabilityBest: Record<string, number>;
    /** What the sample-size calculator starts from. */
    baseline: { mean: number; sd: number; n: number } | null;
    mixingTau: number;
  };
  srm: { observed: number[]; expected: number[]; chiSquare: number; pValue: number; mismatch: boolean };
  variants: VariantResult[];
  metricNames: string[];
  chart: { points: ChartPoint[]; phaseStarts: { t: string; number: number }[]; variants: string[] };
};

// The statistics are pure and run in the browser too (the sample size calculator uses the server's function).
export { requiredSampleSize } from "./stats";
// The paired tests and intervals that evaluation comparisons use (lib/evals): the same statistics, not a fork.
export { mcnemarTest, pairedTTest, meanInterval, wilsonInterval, summarize } from "./stats";
