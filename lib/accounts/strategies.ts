import "server-only";
import type { RoutingStrategy } from "./schemas";

// Ordering strategies for the candidates of one priority tier. Each returns
// the tier in the order to try it: the first is the pick, the rest are the
// failover order. Pure functions over numbers the pool looks up once per
// candidate, so a pick is O(n log n) in the tier's size with no I/O.

export type Scored<T> = {
  item: T;
  weight: number;
  /** Expected latency in ms; 0 = unknown (explore it). */
  latency: number;
  inFlight: number;
  /** Rate-limit share left, 0..1. */
  headroom: number;
  /** USD per 1M tokens (input + output); Infinity when unknown. */
  price: number;
};

type Rand = () => number;

/** Efraimidis–Spirakis: key u^(1/w); the first pick follows the weights, the rest give a fallback order. */
export function weightedOrder<T>(xs: Scored<T>[], random: Rand = Math.random): Scored<T>[] {
  return xs
    .map((x) => ({ x, k: x.weight > 0 ? random() ** (1 / x.weight) : -1 - random() }))
    .sort((a, b) => b.k - a.k)
    .map((e) => e.x);
}

/** Sorted by `key` ascending; ties (and the weighted order inside them) decided by weight. */
function byKey<T>(xs: Scored<T>[], key: (x: Scored<T>) => number, random: Rand): Scored<T>[] {
  const rank = new Map(weightedOrder(xs, random).map((x, i) => [x, i]));
  return [...xs].sort((a, b) => key(a) - key(b) || rank.get(a)! - rank.get(b)!);
}

// In-flight calls inflate the expected latency: a busy fast account and an idle
// slightly slower one are compared on what a new call would likely see.
const loadedLatency = <T>(x: Scored<T>) => x.latency * (1 + x.inFlight);

/**
 * Power of two choices: two distinct candidates drawn by weight, the one with
 * the lower loaded latency wins. Comparing two rather than taking the global
 * minimum avoids every instance stampeding the same account on stale numbers.
 */
export function leastLatencyOrder<T>(xs: Scored<T>[], random: Rand = Math.random): Scored<T>[] {
  if (xs.length <= 1) return xs;
  const drawn = weightedOrder(xs, random);
  const [a, b] = [drawn[0]!, drawn[1]!];
  const first = loadedLatency(b) < loadedLatency(a) ? b : a;
  const rest = xs.filter((x) => x !== first).sort((p, q) => loadedLatency(p) - loadedLatency(q));
  return [first, ...rest];
}

export function orderTier<T>(strategy: RoutingStrategy, xs: Scored<T>[], random: Rand = Math.random): Scored<T>[] {
  if (xs.length <= 1) return xs;
  switch (strategy) {
    case "least_latency":
      return leastLatencyOrder(xs, random);
    case "least_busy":
      return byKey(xs, (x) => x.inFlight / Math.max(x.weight, 1), random);
    case "most_headroom":
      return byKey(xs, (x) => -x.headroom, random);
    case "cheapest":
      return byKey(xs, (x) => x.price, random);
    default:
      return weightedOrder(xs, random);
  }
}
