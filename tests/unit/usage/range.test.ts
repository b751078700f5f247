import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bucketStarts, resolveWindow, segments } from "@/lib/usage/range";
import type { Bucket } from "@/lib/usage/schemas";

const HOUR = 3_600_000;
const DAY = 86_400_000;
const base = Date.UTC(2030, 0, 1);

describe("window decomposition", () => {
  it("covers [from, to) exactly with disjoint segments, aligned to what each source can represent", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 * DAY }),
        fc.integer({ min: 1, max: 40 * DAY }),
        fc.constantFrom<Bucket>("minute", "hour", "day"),
        (offset, span, bucket) => {
          const from = base + offset;
          const to = from + span;
          const segs = segments(from, to, bucket);
          expect(segs[0]!.from.getTime()).toBe(from);
          expect(segs.at(-1)!.to.getTime()).toBe(to);
          for (let i = 0; i < segs.length; i++) {
            const s = segs[i]!;
            expect(s.to.getTime()).toBeGreaterThan(s.from.getTime());
            if (i > 0) expect(s.from.getTime()).toBe(segs[i - 1]!.to.getTime());
            if (s.source === "hour") expect(s.from.getTime() % HOUR + (s.to.getTime() % HOUR)).toBe(0);
            if (s.source === "day") expect(s.from.getTime() % DAY + (s.to.getTime() % DAY)).toBe(0);
            if (bucket === "minute") expect(s.source).toBe("raw");
            if (bucket === "hour") expect(s.source).not.toBe("day");
            // Raw segments only cover what no rollup row can: they contain no whole aligned hour
            // (a window between two boundaries may still be up to 2 h − 2 ms long).
            if (s.source === "raw" && bucket !== "minute") expect(Math.ceil(s.from.getTime() / HOUR) * HOUR + HOUR).toBeGreaterThan(s.to.getTime());
          }
        },
      ),
    );
  });

  it("reads whole days from the daily rollup and only the ragged edges from finer sources", () => {
    const from = Date.UTC(2030, 0, 1, 10, 17);
    const to = Date.UTC(2030, 0, 5, 14, 43);
    expect(segments(from, to, "day").map((s) => [s.source, s.from.toISOString(), s.to.toISOString()])).toEqual([
      ["raw", "2030-01-01T10:17:00.000Z", "2030-01-01T11:00:00.000Z"],
      ["hour", "2030-01-01T11:00:00.000Z", "2030-01-02T00:00:00.000Z"],
      ["day", "2030-01-02T00:00:00.000Z", "2030-01-05T00:00:00.000Z"],
      ["hour", "2030-01-05T00:00:00.000Z", "2030-01-05T14:00:00.000Z"],
      ["raw", "2030-01-05T14:00:00.000Z", "2030-01-05T14:43:00.000Z"],
    ]);
  });

  it("picks the bucket from the range unless a permitted one is asked for", () => {
    const now = Date.UTC(2030, 5, 1, 12);
    const b = (range: "1h" | "24h" | "7d" | "30d" | "90d", bucket?: Bucket) => resolveWindow({ range, by: "model", filters: {}, bucket }, now).bucket;
    expect([b("1h"), b("24h"), b("7d"), b("30d"), b("90d")]).toEqual(["minute", "hour", "hour", "day", "day"]);
    expect(b("24h", "minute")).toBe("minute");
    expect(b("30d", "hour")).toBe("hour");
    // Minute buckets over 90 days would be 130,000 points: refused, the default applies.
    expect(b("90d", "minute")).toBe("day");
    expect(b("7d", "minute")).toBe("hour");
  });

  it("lists every bucket start of a window, the first one partial", () => {
    const w = { from: new Date(Date.UTC(2030, 0, 1, 10, 30)), to: new Date(Date.UTC(2030, 0, 1, 13, 0)), bucket: "hour" as const };
    expect(bucketStarts(w).map((t) => new Date(t).getUTCHours())).toEqual([10, 11, 12]);
  });
});
