import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { LATENCY_BUCKETS, metrics } from "@/lib/observability/metrics";
import { LATENCY_QUANTILE, SLO_DEFAULTS } from "@/lib/observability/slo";

// deploy/prometheus/alerts.yml is checked here on every run: each expression
// may name only metrics that lib/observability/metrics.ts exports (or rules the
// file records), and its SLO constants must be the SLO card's defaults. Where
// promtool is installed (Debian's `prometheus` package) the same test also runs
// `promtool check rules` and the rule unit tests in alerts.test.yml.

const DIR = "deploy/prometheus";
const text = readFileSync(`${DIR}/alerts.yml`, "utf8");

type Rule = { kind: "record" | "alert"; name: string; expr: string; body: string };

/** The rules of a Prometheus rule file: a YAML subset reader for the shape that file uses (one `- record:`/`- alert:` item per rule, single-line `expr`). */
function parseRules(src: string): Rule[] {
  const rules: Rule[] = [];
  const items = src.split(/\n(?=\s*- (?:record|alert):)/).slice(1);
  for (const item of items) {
    const head = /^\s*- (record|alert):\s*(\S+)/.exec(item)!;
    const expr = /\n\s+expr:\s*(.+)/.exec(item)?.[1]?.trim() ?? "";
    rules.push({ kind: head[1] as Rule["kind"], name: head[2]!, expr, body: item.split(/\n\s*- name:/)[0]! });
  }
  return rules;
}

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

async function exportedSeries(): Promise<Set<string>> {
  const out = new Set<string>();
  for (const m of await metrics().registry.getMetricsAsJSON()) {
    out.add(m.name);
    if (String(m.type) === "histogram") for (const s of ["_bucket", "_count", "_sum"]) out.add(m.name + s);
  }
  return out;
}

describe("deploy/prometheus/alerts.yml", () => {
  const rules = parseRules(text);
  const alerts = rules.filter((r) => r.kind === "alert");

  it("reads every rule of the file", () => {
    expect(rules.filter((r) => r.kind === "record").length).toBe((text.match(/- record:/g) ?? []).length);
    expect(alerts.length).toBe((text.match(/- alert:/g) ?? []).length);
    expect(alerts.length).toBeGreaterThanOrEqual(4);
    for (const r of rules) expect(r.expr, r.name).not.toBe("");
  });

  it("references only metrics the app exports, or series the file itself records", async () => {
    const exported = await exportedSeries();
    const recorded = new Set(rules.filter((r) => r.kind === "record").map((r) => r.name));
    const unknown: string[] = [];
    for (const r of rules) for (const n of metricNames(r.expr)) if (!exported.has(n) && !recorded.has(n)) unknown.push(`${r.name}: ${n}`);
    expect(unknown).toEqual([]);
    // The reader must actually find names, or the check above proves nothing.
    expect(metricNames(rules[0]!.expr)).toEqual(["promptgate_gateway_requests_total"]);
  });

  it("pages on both SLOs with the multi-window 14.4x (1h and 5m) and 6x (6h and 30m) burn rates", () => {
    const pages = alerts.filter((a) => /severity:\s*page/.test(a.body));
    for (const slo of ["availability", "latency"]) {
      const mine = pages.filter((a) => new RegExp(`slo:\\s*${slo}`).test(a.body));
      expect(mine.some((a) => /ratio_rate1h > \(14\.4 \* /.test(a.expr) && /ratio_rate5m > \(14\.4 \* /.test(a.expr)), slo).toBe(true);
      expect(mine.some((a) => /ratio_rate6h > \(6 \* /.test(a.expr) && /ratio_rate30m > \(6 \* /.test(a.expr)), slo).toBe(true);
    }
    for (const a of alerts) {
      expect(a.body, a.name).toMatch(/\n\s+for:\s*\d+m/);
      expect(a.body, a.name).toMatch(/summary:/);
    }
  });

  it("uses the SLO card's definitions: error budgets, latency threshold and the statuses counted", () => {
    const availabilityBudget = +(1 - SLO_DEFAULTS.availabilityTarget).toFixed(6);
    const latencyBudget = +(1 - LATENCY_QUANTILE).toFixed(6);
    for (const a of alerts.filter((x) => /availability_errors/.test(x.expr))) {
      expect([...a.expr.matchAll(/\* ([\d.]+)\)/g)].map((m) => Number(m[1])), a.name).toEqual([availabilityBudget, availabilityBudget]);
    }
    for (const a of alerts.filter((x) => /latency_slow/.test(x.expr))) {
      expect([...a.expr.matchAll(/\* ([\d.]+)\)/g)].map((m) => Number(m[1])), a.name).toEqual([latencyBudget, latencyBudget]);
    }
    const thresholdS = SLO_DEFAULTS.latencyP95Ms / 1000;
    expect(LATENCY_BUCKETS).toContain(thresholdS);
    for (const r of rules.filter((x) => x.name.startsWith("promptgate:latency_slow"))) expect(r.expr).toContain(`le="${thresholdS}"`);
    for (const r of rules.filter((x) => x.name.startsWith("promptgate:availability_errors"))) {
      expect(r.expr).toContain('status=~"upstream_error|error|unavailable"');
      expect(r.expr).toContain('status!="rejected"');
    }
    const slo = readFileSync("lib/observability/slo.ts", "utf8");
    expect(slo).toContain("status IN ('upstream_error', 'error', 'unavailable')");
    expect(slo).toContain("status <> 'rejected'");
  });

  it("passes `promtool check rules` and the rule unit tests when promtool is installed", () => {
    const found = spawnSync("promtool", ["--version"], { encoding: "utf8" });
    if (found.error) {
      // Not installed here (it comes with Debian's `prometheus` package): the checks above still ran.
      expect((found.error as NodeJS.ErrnoException).code).toBe("ENOENT");
      return;
    }
    const check = spawnSync("promtool", ["check", "rules", "alerts.yml"], { cwd: DIR, encoding: "utf8" });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const unit = spawnSync("promtool", ["test", "rules", "alerts.test.yml"], { cwd: DIR, encoding: "utf8" });
    expect(unit.status, unit.stdout + unit.stderr).toBe(0);
  }, 60_000);
});
