// Client-safe types of what the usage endpoints return.
import type { Bucket, Dimension } from "./schemas";

export type UsageTotals = {
  requests: number;
  errors: number;
  /** errors / requests, 0 when there were no requests. */
  errorRate: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  costUsd: number;
  /** Over successful calls; null without any. */
  avgLatencyMs: number | null;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  avgTtftMs: number | null;
};

export type UsagePoint = {
  /** Bucket start, epoch ms (UTC). */
  t: number;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  costUsd: number;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
};

export type SeriesKey = { id: string; label: string };
/** Tokens (input + output) per bucket, one numeric field per key id. */
export type StackedPoint = { t: number } & Record<string, number>;

export type TopRow = { id: string; label: string; requests: number; tokens: number; costUsd: number };

export type UsageDashboard = {
  window: { from: string; to: string; bucket: Bucket; previousFrom: string; by: Dimension };
  /** Whether the percentiles are exact (raw events) or from the rollups' histograms. */
  latencySource: "exact" | "histogram";
  current: UsageTotals;
  previous: UsageTotals;
  points: UsagePoint[];
  stacked: { keys: SeriesKey[]; points: StackedPoint[] };
  /** `workspaces` has more than one row only when an instance admin reads all workspaces. */
  top: { models: TopRow[]; keys: TopRow[]; prompts: TopRow[]; accounts: TopRow[]; workspaces: TopRow[] };
};

export type FilterOption = { value: string; label: string };
export type UsageFilterOptions = { models: FilterOption[]; keys: FilterOption[]; prompts: FilterOption[]; accounts: FilterOption[] };
/** The workspace picker's choices: set for instance admins only (the page leaves the picker out otherwise). */
export type WorkspaceOptions = { current: string; choices: FilterOption[] };
