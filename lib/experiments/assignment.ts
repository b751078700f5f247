import "server-only";
import { createHash, randomInt } from "node:crypto";

// Sticky assignment: a subject's bucket is a pure function of (experiment,
// phase, subject), so every instance agrees without storing anything and the
// same subject always gets the same variant within a phase. A new phase
// re-randomises (its number is in the hash), which is what keeps each
// phase's comparison unbiased when weights change.

/** Uniform in [0, 1) from the first 52 bits of SHA-256("<experiment>:<phase>:<subject>"). */
export function bucketOf(experimentId: string, phase: number, subject: string): number {
  const h = createHash("sha256").update(`${experimentId}:${phase}:${subject}`).digest();
  // 52 bits fit a double exactly: 4 bytes high, 20 bits low.
  const hi = h.readUInt32BE(0);
  const lo = h.readUInt32BE(4) >>> 12;
  return (hi * 2 ** 20 + lo) / 2 ** 52;
}

/** Index of the variant whose cumulative-weight slice holds `u`; zero-weight variants are never picked. */
export function pickByWeight(weights: readonly number[], u: number): number {
  const total = weights.reduce((a, b) => a + Math.max(0, b), 0);
  if (total <= 0) throw new Error("no variant has a positive weight");
  let edge = 0;
  const target = u * total;
  let last = -1;
  for (let i = 0; i < weights.length; i++) {
    const w = Math.max(0, weights[i]!);
    if (w === 0) continue;
    last = i;
    edge += w;
    if (target < edge) return i;
  }
  return last;
}

export type Assignment = { index: number; sticky: boolean };

/** Sticky when there is a subject; otherwise a fresh random pick for this request. */
export function assign(experimentId: string, phase: number, subject: string | null, weights: readonly number[]): Assignment {
  if (subject) return { index: pickByWeight(weights, bucketOf(experimentId, phase, subject)), sticky: true };
  return { index: pickByWeight(weights, randomInt(0, 2 ** 47) / 2 ** 47), sticky: false };
}
