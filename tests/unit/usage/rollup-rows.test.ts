import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { csvField, csvLine } from "@/lib/usage/export";
import { bucketIndex } from "@/lib/usage/histogram";
import { coarsen, e8ToDecimal, NIL_UUID, rollupRows } from "@/lib/usage/rollups";

const statuses = ["ok", "upstream_error", "client_aborted", "rejected", "error"] as const;
const eventArb = fc.record({
  createdAt: fc.integer({ min: Date.UTC(2030, 0, 1), max: Date.UTC(2030, 0, 4) }).map((t) => new Date(t)),
  servedModel: fc.option(fc.constantFrom("m-a", "m-b"), { nil: null }),
  requestedModel: fc.constantFrom("m-a", "m-b", "m-c"),
  accountId: fc.option(fc.constantFrom("11111111-1111-4111-8111-111111111111"), { nil: null }),
  apiKeyId: fc.option(fc.constantFrom("22222222-2222-4222-8222-222222222222", "33333333-3333-4333-8333-333333333333"), { nil: null }),
  promptVersionId: fc.constant(null),
  variantId: fc.constant(null),
  status: fc.constantFrom(...statuses),
  surface: fc.option(fc.constantFrom("chat" as const, "embeddings" as const, "messages" as const), { nil: undefined }),
  inputTokens: fc.integer({ min: 0, max: 100_000 }),
  outputTokens: fc.integer({ min: 0, max: 100_000 }),
  cachedTokens: fc.integer({ min: 0, max: 1000 }),
  costUsd: fc.integer({ min: 0, max: 10 ** 10 }).map((n) => n / 1e8),
  latencyMs: fc.integer({ min: 0, max: 2_000_000 }),
  ttftMs: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: null }),
});

describe("rollup rows", () => {
  it("keep every event's measures: totals over the rows equal totals over the events", () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 200 }), (events) => {
        for (const grain of ["hour", "day"] as const) {
          const rows = rollupRows(events, grain);
          const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((a, r) => a + f(r), 0);
          expect(sum((r) => r.requests)).toBe(events.length);
          expect(sum((r) => r.errors)).toBe(events.filter((e) => e.status !== "ok").length);
          expect(sum((r) => r.inputTokens)).toBe(events.reduce((a, e) => a + e.inputTokens, 0));
          expect(sum((r) => r.costE8)).toBe(events.reduce((a, e) => a + Math.round(e.costUsd * 1e8), 0));
          expect(sum((r) => r.latencyCount)).toBe(events.filter((e) => e.status === "ok").length);
          expect(sum((r) => r.ttftCount)).toBe(events.filter((e) => e.ttftMs !== null).length);
          for (const r of rows) {
            expect(r.bucket % (grain === "hour" ? 3_600_000 : 86_400_000)).toBe(0);
            expect(r.latencyBuckets.length === 0).toBe(r.latencyCount === 0);
            expect(r.latencyBuckets.reduce((a, b) => a + b, 0)).toBe(r.latencyCount);
          }
        }
      }),
    );
  });

  it("fold hourly rows into exactly the daily rows computed from the events", () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 200 }), (events) => {
        const key = (r: { bucket: number; model: string; apiKeyId: string; status: string }) => `${r.bucket}|${r.model}|${r.apiKeyId}|${r.status}`;
        const sort = <T extends { bucket: number; model: string; apiKeyId: string; status: string }>(rs: T[]) => [...rs].sort((a, b) => key(a).localeCompare(key(b)));
        expect(sort(coarsen(rollupRows(events, "hour"), "day"))).toEqual(sort(rollupRows(events, "day")));
      }),
    );
  });

  it("store missing ids as the nil UUID and the served model before the requested one", () => {
    const [r] = rollupRows(
      [{ createdAt: new Date(Date.UTC(2030, 0, 1, 5, 59, 59, 999)), servedModel: null, requestedModel: "asked", accountId: null, apiKeyId: null, promptVersionId: null, variantId: null, status: "ok", inputTokens: 1, outputTokens: 2, cachedTokens: 0, costUsd: 0.1, latencyMs: 300, ttftMs: null }],
      "hour",
    );
    expect(r).toMatchObject({ bucket: Date.UTC(2030, 0, 1, 5), model: "asked", accountId: NIL_UUID, apiKeyId: NIL_UUID, promptVersionId: NIL_UUID, variantId: NIL_UUID, surface: "chat" });
    expect(r!.latencyBuckets[bucketIndex(300)]).toBe(1);
  });

  it("write costs as exact decimals", () => {
    expect(e8ToDecimal(0)).toBe("0.00000000");
    expect(e8ToDecimal(1)).toBe("0.00000001");
    expect(e8ToDecimal(123456789012)).toBe("1234.56789012");
    expect(e8ToDecimal(-5)).toBe("-0.00000005");
  });
});

describe("CSV fields", () => {
  it("quote separators, quotes and line breaks, and defuse spreadsheet formulas", () => {
    expect(csvField("plain")).toBe('"plain"');
    expect(csvField('say "hi", then\nleave')).toBe('"say ""hi"", then\nleave"');
    expect(csvField("=HYPERLINK(\"x\")")).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField("+1")).toBe(`"'+1"`);
    expect(csvField(null)).toBe("");
    expect(csvField(-3)).toBe("-3");
    expect(csvField(new Date(Date.UTC(2030, 0, 1)))).toBe("2030-01-01T00:00:00.000Z");
    expect(csvLine(["a", 1, null])).toBe('"a",1,\r\n');
  });
});
