import { describe, expect, it } from "vitest";
import { compareToControl, createRng, msprt, probabilityBest, twoProportionZTest, welchTTest, type MetricSummary } from "@/lib/experiments/stats";

// Monte Carlo checks of the guarantees the results page makes. Seeds are fixed so a run is
// reproducible; the tolerances are several binomial standard errors wide.

const EXPERIMENTS = 1000;
const PEEKS = 20;
const PER_PEEK = 100; // observations per arm between looks: 2,000 per arm at the last look
const ALPHA = 0.05;

type Arm = { n: number; sum: number; sumSquares: number };
const empty = (): Arm => ({ n: 0, sum: 0, sumSquares: 0 });

function addBinary(arm: Arm, p: number, count: number, next: () => number) {
  for (let i = 0; i < count; i++) {
    const x = next() < p ? 1 : 0;
    arm.n += 1;
    arm.sum += x;
    arm.sumSquares += x;
  }
}

function addNormal(arm: Arm, mu: number, sd: number, count: number, normal: () => number) {
  for (let i = 0; i < count; i++) {
    const x = mu + sd * normal();
    arm.n += 1;
    arm.sum += x;
    arm.sumSquares += x * x;
  }
}

/** Runs `EXPERIMENTS` experiments with PEEKS looks each; returns how often each procedure ever rejected. */
function peekingFalsePositives(kind: "binary" | "continuous", seed: number) {
  const rng = createRng(seed);
  let naive = 0;
  let sequential = 0;
  for (let e = 0; e < EXPERIMENTS; e++) {
    const a = empty();
    const b = empty();
    let naiveRejected = false;
    let seqRejected = false;
    for (let k = 0; k < PEEKS; k++) {
      if (kind === "binary") {
        addBinary(a, 0.3, PER_PEEK, rng.next);
        addBinary(b, 0.3, PER_PEEK, rng.next);
      } else {
        addNormal(a, 3.5, 1.2, PER_PEEK, rng.normal);
        addNormal(b, 3.5, 1.2, PER_PEEK, rng.normal);
      }
      const fixed = kind === "binary" ? twoProportionZTest(a, b) : welchTTest(a, b);
      if (fixed.pValue < ALPHA) naiveRejected = true;
      if (msprt(a, b, kind, { alpha: ALPHA }).pValue <= ALPHA) seqRejected = true;
    }
    if (naiveRejected) naive += 1;
    if (seqRejected) sequential += 1;
  }
  return { naive: naive / EXPERIMENTS, sequential: sequential / EXPERIMENTS };
}

describe("A/A simulation: 1,000 experiments, each peeked at 20 times", () => {
  // Binomial SE of a 5% rate over 1,000 runs is 0.7 points; 1.5 points of tolerance is > 2 SE.
  const TOLERANCE = 0.015;

  it("keeps the sequential test's false positive rate at or below 5% while naive repeated z-tests exceed it (binary metric)", () => {
    const r = peekingFalsePositives("binary", 7);
    console.log(`A/A binary, 20 peeks × 1,000 runs: naive z-test FPR = ${(r.naive * 100).toFixed(1)}%, mSPRT FPR = ${(r.sequential * 100).toFixed(1)}%`);
    expect(r.sequential).toBeLessThanOrEqual(ALPHA + TOLERANCE);
    expect(r.naive).toBeGreaterThan(ALPHA + TOLERANCE);
  });

  it("keeps the sequential test's false positive rate at or below 5% while naive repeated Welch tests exceed it (continuous metric)", () => {
    const r = peekingFalsePositives("continuous", 11);
    console.log(`A/A continuous, 20 peeks × 1,000 runs: naive Welch FPR = ${(r.naive * 100).toFixed(1)}%, mSPRT FPR = ${(r.sequential * 100).toFixed(1)}%`);
    expect(r.sequential).toBeLessThanOrEqual(ALPHA + TOLERANCE);
    expect(r.naive).toBeGreaterThan(ALPHA + TOLERANCE);
  });
});

describe("A/B simulation with a true lift", () => {
  it("reaches significance in the right direction and P(best) favours the better variant", () => {
    // Thumbs-up rate 30% → 36% (a 20% relative lift), looked at every 100 observations per arm.
    const rng = createRng(2026);
    const runs = 200;
    let significant = 0;
    let wrongDirection = 0;
    let pBestRight = 0;
    const stoppedAt: number[] = [];
    for (let r = 0; r < runs; r++) {
      const a = empty();
      const b = empty();
      for (let k = 0; k < PEEKS; k++) {
        addBinary(a, 0.3, PER_PEEK, rng.next);
        addBinary(b, 0.36, PER_PEEK, rng.next);
        const cmp = compareToControl(a, b, "binary", { mde: 0.1 });
        if (cmp.verdict === "significant") {
          significant += 1;
          if (cmp.absoluteLift.estimate <= 0) wrongDirection += 1;
          stoppedAt.push(a.n);
          break;
        }
      }
      const best = probabilityBest([a as MetricSummary, b as MetricSummary], "binary", { draws: 2000 });
      if (best.probabilityBest[1]! > 0.5) pBestRight += 1;
    }
    stoppedAt.sort((x, y) => x - y);
    console.log(
      `A/B 30% → 36%, ${runs} runs: significant in ${((significant / runs) * 100).toFixed(1)}%, median stop at ${stoppedAt[Math.floor(stoppedAt.length / 2)]} per arm, P(best) favours B in ${((pBestRight / runs) * 100).toFixed(1)}%`,
    );
    expect(significant / runs).toBeGreaterThan(0.8);
    expect(wrongDirection).toBe(0);
    expect(pBestRight / runs).toBeGreaterThan(0.95);
  });

  it("declares the better arm significant with P(best) ≥ 0.95 in a single fixed-seed experiment", () => {
    const rng = createRng(99);
    const a = empty();
    const b = empty();
    addBinary(a, 0.3, 3000, rng.next);
    addBinary(b, 0.36, 3000, rng.next);
    const cmp = compareToControl(a, b, "binary", { mde: 0.1 });
    expect(cmp.verdict).toBe("significant");
    expect(cmp.relativeLift.lower).toBeGreaterThan(0);
    expect(probabilityBest([a, b], "binary").probabilityBest[1]).toBeGreaterThan(0.95);
  });
});
