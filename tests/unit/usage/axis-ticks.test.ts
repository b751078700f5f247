import { describe, expect, it } from "vitest";
import { axisTicks, formatBucket } from "@/components/usage/format";

const H = 3_600_000;
const hours = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i * H);

describe("usage chart ticks", () => {
  it("puts one dated tick per UTC midnight on hourly charts longer than a day and a half", () => {
    const from = Date.UTC(2026, 10, 14, 13); // Nov 14, 13:00 UTC
    const ticks = axisTicks(hours(from, 7 * 24), "hour")!;
    expect(ticks.map((t) => formatBucket(t, "hour"))).toEqual(["Nov 15", "Nov 16", "Nov 17", "Nov 18", "Nov 19", "Nov 20", "Nov 21"]);
  });

  it("starts ticking by date just past a day and a half", () => {
    const from = Date.UTC(2026, 10, 20, 0);
    expect(axisTicks(hours(from, 37), "hour")).toBeUndefined(); // spans 36 h
    expect(axisTicks(hours(from, 38), "hour")).toEqual([from, from + 24 * H]); // spans 37 h
  });

  it("leaves short hourly ranges and other buckets to the chart", () => {
    expect(axisTicks(hours(Date.UTC(2026, 10, 20, 0), 24), "hour")).toBeUndefined();
    expect(axisTicks(hours(Date.UTC(2026, 10, 1), 90), "day")).toBeUndefined();
    expect(axisTicks([], "hour")).toBeUndefined();
  });

  it("keeps at most ten ticks on long ranges", () => {
    const ticks = axisTicks(hours(Date.UTC(2026, 8, 1), 90 * 24), "hour")!;
    expect(ticks.length).toBeLessThanOrEqual(10);
    expect(ticks.length).toBeGreaterThanOrEqual(8);
    for (const t of ticks) expect(t % 86_400_000).toBe(0);
  });
});
