import { describe, expect, it } from "vitest";
import { wordDiff, wordDiffStats } from "@/lib/prompts/word-diff";

// The compare view's "word diff between two outputs" (issue 20 §1).
const side = (parts: ReturnType<typeof wordDiff>, which: "before" | "after") =>
  parts.filter((p) => (which === "before" ? !p.added : !p.removed)).map((p) => p.value).join("");

describe("word diff of two outputs", () => {
  it("compare #20.1: marks the words one output has and the other lacks, and rebuilds both outputs exactly", () => {
    const a = "The quick model answers the question again.";
    const b = "The slow model answers every question again, twice.";
    const parts = wordDiff(a, b);
    expect(side(parts, "before")).toBe(a);
    expect(side(parts, "after")).toBe(b);
    expect(parts.filter((p) => p.removed).map((p) => p.value.trim())).toEqual(expect.arrayContaining(["quick", "the"]));
    expect(parts.filter((p) => p.added).map((p) => p.value.trim())).toEqual(expect.arrayContaining(["slow", "every"]));
    expect(wordDiffStats(parts)).toMatchObject({ added: expect.any(Number), removed: expect.any(Number) });
    expect(wordDiffStats(parts).same).toBeGreaterThanOrEqual(4);
  });

  it("compare #20.1: two equal outputs are one unchanged part; an empty side is all added or all removed", () => {
    expect(wordDiff("Same words here.", "Same words here.")).toEqual([{ value: "Same words here." }]);
    expect(wordDiff("", "New text")).toEqual([{ value: "New text", added: true }]);
    expect(wordDiff("Old text", "")).toEqual([{ value: "Old text", removed: true }]);
    expect(wordDiffStats(wordDiff("", "three new words"))).toEqual({ added: 3, removed: 0, same: 0 });
  });

  it("compare #20.1: keeps line breaks, so multi-line outputs line up", () => {
    const parts = wordDiff("one\ntwo\nthree", "one\n2\nthree");
    expect(side(parts, "before")).toBe("one\ntwo\nthree");
    expect(side(parts, "after")).toBe("one\n2\nthree");
    expect(parts.filter((p) => p.removed).map((p) => p.value)).toEqual(["two"]);
    expect(parts.filter((p) => p.added).map((p) => p.value)).toEqual(["2"]);
  });
});
