import { describe, expect, it } from "vitest";
import { orderTier, weightedOrder, type Scored } from "@/lib/accounts/strategies";
import { quantile, bucketOf, emptyHistogram } from "@/lib/accounts/health/histogram";

const acct = (name: string, over: Partial<Scored<string>> = {}): Scored<string> => ({
  item: name, weight: 1, latency: 0, inFlight: 0, headroom: 1, price: 0, ...over,
});

/** Seeded PRNG (mulberry32) so a failure is reproducible. */
function rng(seed: number) {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("routing strategies", () => {
  it("weighted random follows weights 3:1 over 2,000 picks (chi-square, p > 0.001)", () => {
    const random = rng(42);
    const xs = [acct("a", { weight: 3 }), acct("b", { weight: 1 })];
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 2000; i++) counts[weightedOrder(xs, random)[0]!.item as "a" | "b"]++;
    const expected = { a: 1500, b: 500 };
    const chi2 = (counts.a - expected.a) ** 2 / expected.a + (counts.b - expected.b) ** 2 / expected.b;
    // 1 degree of freedom: p = 0.001 at chi-square 10.83.
    expect(chi2).toBeLessThan(10.83);
  });

  it("a weight-0 account is only ever a fallback", () => {
    const xs = [acct("zero", { weight: 0 }), acct("one", { weight: 1 })];
    for (let i = 0; i < 200; i++) expect(weightedOrder(xs)[0]!.item).toBe("one");
    expect(weightedOrder(xs)).toHaveLength(2);
  });

  it("least latency picks the account 50 ms faster at least 90% of the time", () => {
    const xs = [acct("slow", { latency: 80 }), acct("fast", { latency: 30 })];
    let fast = 0;
    for (let i = 0; i < 1000; i++) if (orderTier("least_latency", xs)[0]!.item === "fast") fast++;
    expect(fast).toBeGreaterThanOrEqual(900);
  });

  it("least latency explores an account it has no measurement for", () => {
    const xs = [acct("known", { latency: 30 }), acct("new", { latency: 0 })];
    expect(orderTier("least_latency", xs)[0]!.item).toBe("new");
  });

  it("least latency weighs in-flight calls: a busy fast account loses to an idle slower one", () => {
    const xs = [acct("busy", { latency: 30, inFlight: 4 }), acct("idle", { latency: 60 })];
    expect(orderTier("least_latency", xs)[0]!.item).toBe("idle");
  });

  it("least busy prefers the fewest calls in flight per unit of weight", () => {
    const xs = [acct("a", { inFlight: 5 }), acct("b", { inFlight: 1 }), acct("c", { inFlight: 3, weight: 1 })];
    expect(orderTier("least_busy", xs).map((x) => x.item)).toEqual(["b", "c", "a"]);
  });

  it("most headroom prefers the account furthest from its rate limits", () => {
    const xs = [acct("a", { headroom: 0.1 }), acct("b", { headroom: 0.9 }), acct("c", { headroom: 0.5 })];
    expect(orderTier("most_headroom", xs).map((x) => x.item)).toEqual(["b", "c", "a"]);
  });

  it("cheapest orders by price, unknown prices last", () => {
    const xs = [acct("unknown", { price: Infinity }), acct("pricey", { price: 10 }), acct("cheap", { price: 0.75 })];
    expect(orderTier("cheapest", xs).map((x) => x.item)).toEqual(["cheap", "pricey", "unknown"]);
  });

  it("always returns every candidate exactly once", () => {
    const xs = ["a", "b", "c", "d"].map((n, i) => acct(n, { latency: i * 10, inFlight: i, headroom: i / 4, price: i }));
    for (const s of ["weighted", "least_latency", "least_busy", "most_headroom", "cheapest"] as const) {
      expect(orderTier(s, xs).map((x) => x.item).sort()).toEqual(["a", "b", "c", "d"]);
    }
  });
});

describe("latency histogram", () => {
  it("estimates quantiles within a bucket", () => {
    const h = emptyHistogram();
    for (let i = 0; i < 90; i++) h[bucketOf(40)]!++;
    for (let i = 0; i < 10; i++) h[bucketOf(900)]!++;
    const p50 = quantile(h, 0.5)!;
    expect(p50).toBeGreaterThan(30);
    expect(p50).toBeLessThanOrEqual(50);
    expect(quantile(h, 0.95)!).toBeGreaterThan(750);
    expect(quantile(emptyHistogram(), 0.5)).toBeNull();
  });
});
