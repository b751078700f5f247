import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { priceFor, type PriceRow } from "@/lib/pricing";

// The rule, written the slow and obvious way: among rows in force at `at` whose
// pattern matches, the most specific pattern wins (exact, then the longest
// `prefix*`, then `*`), and among equally specific ones the latest effective date.
function reference(model: string, at: number, table: PriceRow[]): PriceRow | null {
  const spec = (pattern: string) =>
    pattern === model ? Infinity : pattern === "*" ? 0 : pattern.endsWith("*") && model.startsWith(pattern.slice(0, -1)) ? pattern.length : -1;
  let best: PriceRow | null = null;
  for (const r of table) {
    if (r.from > at || spec(r.model) < 0) continue;
    if (!best || spec(r.model) > spec(best.model) || (spec(r.model) === spec(best.model) && r.from > best.from)) best = r;
  }
  return best;
}

const models = ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "claude-3-5-sonnet", "claude-3-haiku", "mystery"];
const patterns = [...models, "gpt-*", "gpt-4o*", "claude-*", "claude-3-*", "*"];
const rowArb = fc.record({
  model: fc.constantFrom(...patterns),
  input: fc.integer({ min: 0, max: 100 }),
  output: fc.integer({ min: 0, max: 100 }),
  cachedInput: fc.constant(null),
  from: fc.integer({ min: 0, max: 100 }),
});

describe("priceFor", () => {
  it("picks the row the pricing rule names, for any table, model and time, including repeated lookups", () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 12 }), fc.array(fc.tuple(fc.constantFrom(...models), fc.integer({ min: -5, max: 110 })), { minLength: 1, maxLength: 8 }), (table, lookups) => {
        // The same table object is asked several times: answers come from its per-model candidates.
        for (const [model, at] of lookups) expect(priceFor(model, at, table)).toBe(reference(model, at, table));
      }),
      { numRuns: 400 },
    );
  });

  it("answers from a new table once the prices are replaced", () => {
    const old: PriceRow[] = [{ model: "gpt-*", input: 1, output: 1, cachedInput: null, from: 0 }];
    expect(priceFor("gpt-4o", 10, old)?.input).toBe(1);
    const replaced: PriceRow[] = [...old, { model: "gpt-4o", input: 7, output: 7, cachedInput: null, from: 5 }];
    expect(priceFor("gpt-4o", 10, replaced)?.input).toBe(7);
    expect(priceFor("gpt-4o", 4, replaced)?.input).toBe(1);
    expect(priceFor("mystery", 10, replaced)).toBeNull();
  });
});
