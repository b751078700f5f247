import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { SloTable } from "@/components/observability/slo-card";
import { sloReport } from "@/lib/observability/slo";

const targets = { availabilityTarget: 0.995, latencyP95Ms: 2500 };

describe("SLO card", () => {
  it("shows measured values, targets, budget left, burn rate and a status per objective", () => {
    const s = sloReport({ valid: 10_000, bad: 25, ok: 9_975, slow: 100 }, { valid: 100, bad: 1, ok: 99, slow: 0 }, 1840, targets);
    const html = renderToStaticMarkup(createElement(SloTable, { s }));
    expect(html).toContain("<caption");
    expect(html).toContain("99.750 %"); // availability measured
    expect(html).toContain("99.50 %"); // target
    expect(html).toContain("50.0 %"); // half the availability budget left
    expect(html).toContain("2.00×"); // 1 % errors in the last hour against a 0.5 % budget
    expect(html).toContain("1840 ms");
    expect(html).toContain("≤ 2500 ms");
    expect(html).toContain("Met");
  });

  it("says there is no data rather than showing 100 % on a fresh install", () => {
    const empty = { valid: 0, bad: 0, ok: 0, slow: 0 };
    const html = renderToStaticMarkup(createElement(SloTable, { s: sloReport(empty, empty, null, targets) }));
    expect(html).toContain("No data");
    expect(html).toContain("no traffic");
    expect(html).not.toMatch(/>100\./);
  });
});
