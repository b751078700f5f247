import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bucketIndex, emptyHistogram, histogramPercentile, LATENCY_BUCKETS, LATENCY_THRESHOLDS, mergeHistogram } from "@/lib/usage/histogram";
import { seededRandom as seeded } from "../../support/random";

function exactPercentile(sorted: number[], p: number): number {
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}


describe("latency histogram sketch", () => {
  it("has strictly increasing integer thresholds ending at 2^20 ms, a factor of at most 1.32 apart above 11 ms", () => {
    expect(LATENCY_BUCKETS).toBe(62);
    expect(LATENCY_THRESHOLDS[0]).toBe(1);
    expect(LATENCY_THRESHOLDS.at(-1)).toBe(2 ** 20);
    for (let i = 1; i < LATENCY_THRESHOLDS.length; i++) {
      const [a, b] = [LATENCY_THRESHOLDS[i - 1]!, LATENCY_THRESHOLDS[i]!];
      expect(Number.isInteger(b) && b > a).toBe(true);
      if (a >= 11) expect(b / a).toBeLessThanOrEqual(1.32);
    }
  });

  it("puts every latency in the bucket whose bounds contain it (what SQL's width_bucket does)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5_000_000 }), (ms) => {
        const i = bucketIndex(ms);
        const lo = i === 0 ? 0 : LATENCY_THRESHOLDS[i - 1]!;
        const hi = LATENCY_THRESHOLDS[i] ?? Infinity;
        expect(ms >= lo && ms < hi).toBe(true);
      }),
    );
    expect(bucketIndex(0)).toBe(0);
    expect(bucketIndex(1)).toBe(1);
    expect(bucketIndex(2 ** 20)).toBe(61);
    expect(bucketIndex(2 ** 31 - 1)).toBe(61);
  });

  it("reports a percentile in the same bucket as the exact one", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3_000_000 }), { minLength: 1, maxLength: 400 }), fc.integer({ min: 1, max: 100 }), (samples, p) => {
        const h = emptyHistogram();
        for (const s of samples) h[bucketIndex(s)]!++;
        const exact = exactPercentile([...samples].sort((a, b) => a - b), p);
        const got = histogramPercentile(h, p)!;
        expect(bucketIndex(Math.floor(got))).toBe(bucketIndex(exact));
      }),
    );
  });

  it("is within a few percent of the exact p50 and p95 on realistic lognormal latencies", () => {
    const rand = seeded(7);
    for (const median of [40, 350, 1800, 12_000]) {
      const samples: number[] = [];
      for (let i = 0; i < 20_000; i++) {
        const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
        samples.push(Math.round(median * Math.exp(0.6 * z)));
      }
      const h = emptyHistogram();
      for (const s of samples) h[bucketIndex(s)]!++;
      const sorted = samples.sort((a, b) => a - b);
      for (const p of [50, 95]) {
        const exact = exactPercentile(sorted, p);
        const err = Math.abs(histogramPercentile(h, p)! - exact) / exact;
        expect(err, `median ${median} ms, p${p}`).toBeLessThan(0.05);
      }
    }
  });

  it("merges histograms by adding counts, with an empty array meaning zero", () => {
    const a = emptyHistogram();
    a[3] = 2;
    const b = emptyHistogram();
    b[3] = 1;
    b[10] = 4;
    const m = mergeHistogram(mergeHistogram([], a), b);
    expect(m[3]).toBe(3);
    expect(m[10]).toBe(4);
    expect(mergeHistogram([], [])).toEqual([]);
    expect(histogramPercentile([], 95)).toBeNull();
    expect(histogramPercentile(emptyHistogram(), 95)).toBeNull();
  });

  it("matches the thresholds the migration's backfill uses", () => {
    const sql = readFileSync("prisma/migrations/20261121050000_usage_rollups/migration.sql", "utf8");
    expect(sql).toContain(`'{${LATENCY_THRESHOLDS.join(",")}}'::int4[]`);
    expect(sql).toContain(`generate_series(0, ${LATENCY_BUCKETS - 1})`);
  });
});
