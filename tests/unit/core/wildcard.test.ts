import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { wildcardMatch as modelMatches } from "@/lib/core";

// The semantics every model pattern had before #13.6 (accounts, scopes, routing
// strategies): `*` became `.*` in an anchored regex. Kept here only as the
// oracle the linear matcher must agree with.
function regexMatches(pattern: string, model: string): boolean {
  return new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(model);
}

/** The fastest of a few runs, so a busy machine's scheduling noise does not count. */
function fastestMs(fn: () => void, runs = 5): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

describe("model pattern matching", () => {
  it("security #13.6: the worst patterns against a 256-character model name return in under 1 ms", () => {
    const worst = [
      "*-*-*-*-*x", // the measured exploit: over 60 s with the regex
      `${"*-".repeat(20)}x`,
      `${"*a".repeat(20)}b`,
      `${"*".repeat(100)}b`,
      `${"a*".repeat(99)}b`, // 199 characters, near the 200 limit
    ];
    const names = ["-".repeat(256), "a".repeat(256), `${"a-".repeat(128)}`];
    for (const pattern of worst) {
      for (const name of names) {
        let result = true;
        const ms = fastestMs(() => {
          result = modelMatches(pattern, name);
        });
        expect(result, `${pattern} vs ${name.slice(0, 8)}…`).toBe(false);
        expect(ms, `${pattern} vs ${name.slice(0, 8)}…`).toBeLessThan(1);
      }
    }
  });

  it("security #13.6: agrees with the old regex semantics on random patterns and names", () => {
    // Small alphabets so that stars, repeats and near-misses are common; no line
    // terminators, which `.` never matched and model names never contain.
    const ch = fc.constantFrom("a", "b", "-", ".", "4", "/", ":");
    const name = fc.array(ch, { maxLength: 12 }).map((a) => a.join(""));
    const pattern = fc.array(fc.oneof(ch, fc.constant("*")), { maxLength: 8 }).map((a) => a.join(""));
    fc.assert(
      fc.property(pattern, name, (p, n) => modelMatches(p, n) === regexMatches(p, n)),
      { numRuns: 20_000 },
    );
    // Names built from the pattern itself, so matches are common too.
    fc.assert(
      fc.property(pattern, fc.array(fc.array(ch, { maxLength: 3 }).map((a) => a.join("")), { minLength: 9, maxLength: 9 }), (p, fills) => {
        let i = 0;
        const n = p.replace(/\*/g, () => fills[i++] ?? "");
        return modelMatches(p, n) && regexMatches(p, n);
      }),
      { numRuns: 5_000 },
    );
  });

  it("security #13.6: quota policies' patterns (a name, or a prefix ending in *) keep their prefix meaning", () => {
    const ch = fc.constantFrom("a", "b", "-", "4");
    const word = fc.array(ch, { maxLength: 8 }).map((a) => a.join(""));
    fc.assert(
      fc.property(word, fc.boolean(), word, (stem, prefix, n) => {
        const p = prefix ? `${stem}*` : stem;
        return modelMatches(p, n) === (prefix ? n.startsWith(stem) : n === stem);
      }),
      { numRuns: 5_000 },
    );
  });

  it("keeps the documented cases: exact names, prefixes, inner and repeated stars", () => {
    expect(modelMatches("gpt-4o", "gpt-4o")).toBe(true);
    expect(modelMatches("gpt-4o", "gpt-4o-mini")).toBe(false);
    expect(modelMatches("gpt-4o*", "gpt-4o-mini")).toBe(true);
    expect(modelMatches("gpt-4o*", "gpt-4")).toBe(false);
    expect(modelMatches("*", "")).toBe(true);
    expect(modelMatches("", "")).toBe(true);
    expect(modelMatches("", "a")).toBe(false);
    expect(modelMatches("claude-*-sonnet*", "claude-3-5-sonnet-latest")).toBe(true);
    expect(modelMatches("claude-*-sonnet*", "claude-3-5-haiku")).toBe(false);
    expect(modelMatches("a**b", "ab")).toBe(true);
    expect(modelMatches("gpt.4", "gpt-4")).toBe(false); // `.` is literal
    expect(modelMatches("*x", "x")).toBe(true);
  });
});
