import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { LATENCY_BUCKETS, metrics } from "@/lib/observability/metrics";
import { AVAILABILITY_BAD_STATUSES, EXCLUDED_STATUS, FAST_BURN, LATENCY_QUANTILE, SLO_DEFAULTS } from "@/lib/observability/slo";

// deploy/prometheus/alerts.yml is checked here on every run: each expression
// may name only metrics that lib/observability/metrics.ts exports (or rules the
// file records), and its SLO constants and statuses must be the SLO card's.
// Where promtool is installed (Debian's `prometheus` package) the same test also
// runs `promtool check rules` and the rule unit tests in alerts.test.yml.

const DIR = "deploy/prometheus";

// Prometheus' rule file format; strict, so a misspelt key fails here rather than in Prometheus.
const labels = z.record(z.string(), z.string());
const recordingRule = z.strictObject({ record: z.string().min(1), expr: z.string().min(1), labels: labels.optional() });
const alertingRule = z.strictObject({
  alert: z.string().min(1),
  expr: z.string().min(1),
  for: z.string().optional(),
  keep_firing_for: z.string().optional(),
  labels: labels.optional(),
  annotations: labels.optional(),
});
const ruleFile = z.strictObject({
  groups: z.array(z.strictObject({ name: z.string().min(1), interval: z.string().optional(), limit: z.number().optional(), rules: z.array(z.union([recordingRule, alertingRule])) })),
});
type AlertingRule = z.infer<typeof alertingRule>;

// Parsed without throwing, so a file of another shape fails the first test with zod's issues, not the collection.
const parsed = ruleFile.safeParse(parse(readFileSync(`${DIR}/alerts.yml`, "utf8")));
const file = parsed.data ?? { groups: [] };
const rules = file.groups.flatMap((g) => g.rules);
const recorded = rules.flatMap((r) => ("record" in r ? [r] : []));
const alerts = rules.flatMap((r) => ("alert" in r ? [r] : []));
const nameOf = (r: (typeof rules)[number]) => ("record" in r ? r.record : r.alert);

const PROMQL_WORDS = new Set(["and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "inf", "nan"]);

/** Metric (and recorded series) names an expression selects. */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, "")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(?!\s*\(|[A-Za-z0-9_:])/g)) {
    if (!PROMQL_WORDS.has(m[0].toLowerCase())) names.add(m[0]);
  }
  return [...names];
}

type Matcher = { metric: string; label: string; op: string; value: string };

/** The label matchers of every selector in an expression: `m{a="x", b!~"y"}` gives two. */
function matchers(expr: string): Matcher[] {
  const out: Matcher[] = [];
  for (const sel of expr.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)\{([^}]*)\}/g)) {
    for (const m of sel[2]!.matchAll(/([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)) out.push({ metric: sel[1]!, label: m[1]!, op: m[2]!, value: m[3]! });
  }
  return out;
}

type BurnCondition = { series: string; factor: number; budget: number };

/** A burn-rate alert's `series > (factor * budget) and …`, one condition per clause; null when a clause has another shape. */
function burnConditions(expr: string): BurnCondition[] | null {
  const clauses = expr.split(/\s+and\s+/).map((c) => /^(\S+) > \(([\d.]+) \* ([\d.]+)\)$/.exec(c.trim()));
  if (clauses.some((c) => !c)) return null;
  return clauses.map((c) => ({ series: c![1]!, factor: Number(c![2]), budget: Number(c![3]) }));
}

async function exportedSeries(): Promise<Set<string>> {
  const out = new Set<string>();
  for (const m of await metrics().registry.getMetricsAsJSON()) {
    out.add(m.name);
    if (String(m.type) === "histogram") for (const s of ["_bucket", "_count", "_sum"]) out.add(m.name + s);
  }
  return out;
}

const hasPromtool = !spawnSync("promtool", ["--version"], { encoding: "utf8" }).error;

describe("deploy/prometheus/alerts.yml", () => {
  const burnAlerts = (slo: string) => alerts.filter((a) => a.labels?.slo === slo);

  it("is a Prometheus rule file whose rule names are unique", () => {
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(file.groups.map((g) => g.name)).toEqual(["promptgate-slo-sli", "promptgate-slo-alerts", "promptgate-internals"]);
    expect(recorded.length).toBeGreaterThan(0);
    expect(alerts.length).toBeGreaterThanOrEqual(4);
    const names = rules.map(nameOf);
    expect(new Set(names).size).toBe(names.length);
  });

  it("references only metrics the app exports, or series the file itself records", async () => {
    const exported = await exportedSeries();
    const recordedNames = new Set(recorded.map((r) => r.record));
    const unknown: string[] = [];
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      const names = metricNames(r.expr);
      // The reader must find names in every rule, or the check below proves nothing for it.
      expect(names.length, nameOf(r)).toBeGreaterThan(0);
      for (const n of names) if (!exported.has(n) && !recordedNames.has(n)) unknown.push(`${nameOf(r)}: ${n}`);
    }
    expect(unknown).toEqual([]);
    expect(metricNames(recorded[0]!.expr)).toEqual(["promptgate_gateway_requests_total"]);
  });

  it("pages on both SLOs with the multi-window 14.4x (1h and 5m) and 6x (6h and 30m) burn rates", () => {
    const windows = (a: AlertingRule) => burnConditions(a.expr)?.map((c) => `${c.factor}x ${c.series.split(":ratio_rate")[1]}`);
    for (const slo of ["availability", "latency"]) {
      const mine = burnAlerts(slo);
      expect(mine.length, slo).toBeGreaterThan(0);
      for (const a of mine) expect(a.labels?.severity, a.alert).toBe("page");
      expect(mine.map(windows), slo).toEqual([[`${FAST_BURN}x 1h`, `${FAST_BURN}x 5m`], ["6x 6h", "6x 30m"]]);
    }
    for (const a of alerts) {
      expect(a.for, a.alert).toMatch(/^\d+m$/);
      expect(a.annotations?.summary, a.alert).toBeTruthy();
    }
  });

  it("uses the SLO card's definitions: error budgets, latency threshold and the statuses counted", () => {
    const budgets = (slo: string) => burnAlerts(slo).flatMap((a) => burnConditions(a.expr)!.map((c) => c.budget));
    const availability = budgets("availability");
    expect(availability.length).toBeGreaterThan(0);
    expect(new Set(availability)).toEqual(new Set([+(1 - SLO_DEFAULTS.availabilityTarget).toFixed(6)]));
    const latency = budgets("latency");
    expect(latency.length).toBeGreaterThan(0);
    expect(new Set(latency)).toEqual(new Set([+(1 - LATENCY_QUANTILE).toFixed(6)]));

    const thresholdS = SLO_DEFAULTS.latencyP95Ms / 1000;
    expect(LATENCY_BUCKETS).toContain(thresholdS);
    const slow = recorded.filter((r) => r.record.startsWith("promptgate:latency_slow:"));
    expect(slow.length).toBeGreaterThan(0);
    for (const r of slow) {
      expect(matchers(r.expr), r.record).toEqual([{ metric: "promptgate_gateway_ttft_seconds_bucket", label: "le", op: "=", value: String(thresholdS) }]);
    }

    const errors = recorded.filter((r) => r.record.startsWith("promptgate:availability_errors:"));
    expect(errors.length).toBeGreaterThan(0);
    for (const r of errors) {
      const [bad, valid, ...rest] = matchers(r.expr);
      expect(rest, r.record).toEqual([]);
      expect(bad, r.record).toMatchObject({ metric: "promptgate_gateway_requests_total", label: "status", op: "=~" });
      expect(bad!.value.split("|").sort(), r.record).toEqual([...AVAILABILITY_BAD_STATUSES].sort());
      expect(valid, r.record).toEqual({ metric: "promptgate_gateway_requests_total", label: "status", op: "!=", value: EXCLUDED_STATUS });
    }
  });

  it.skipIf(!hasPromtool)(
    `passes \`promtool check rules\` and the rule unit tests in alerts.test.yml${hasPromtool ? "" : " (skipped: promtool is not installed; `apt-get install prometheus` provides it)"}`,
    () => {
      const check = spawnSync("promtool", ["check", "rules", "alerts.yml"], { cwd: DIR, encoding: "utf8" });
      expect(check.status, check.stdout + check.stderr).toBe(0);
      const unit = spawnSync("promtool", ["test", "rules", "alerts.test.yml"], { cwd: DIR, encoding: "utf8" });
      expect(unit.status, unit.stdout + unit.stderr).toBe(0);
    },
    60_000,
  );
});
