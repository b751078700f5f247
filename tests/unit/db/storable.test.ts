import { describe, expect, it } from "vitest";
import { storableDeep, storableText } from "@/lib/db/storable";

describe("storable text (what Postgres text and jsonb can hold)", () => {
  it("replaces NUL and unpaired surrogates with U+FFFD and keeps real pairs", () => {
    expect(storableText("a\u0000b")).toBe("a\uFFFDb");
    expect(storableText("x\uD800y")).toBe("x\uFFFDy"); // high half alone
    expect(storableText("x\uDC00y")).toBe("x\uFFFDy"); // low half alone
    expect(storableText("\uDC00\uD800")).toBe("\uFFFD\uFFFD"); // both halves, wrong order
    expect(storableText("ok 💥 ok")).toBe("ok 💥 ok");
    expect(storableText("end\uD83D")).toBe("end\uFFFD");
  });

  it("returns the very same value when nothing needs replacing", () => {
    const clean = { a: ["x", 1, { b: "y" }], when: new Date(0) };
    expect(storableDeep(clean)).toBe(clean);
    const s = "plain";
    expect(storableText(s)).toBe(s);
  });

  it("cleans strings and keys at any depth without touching the input or class instances", () => {
    const when = new Date(0);
    const input = { "k\u0000": "v", list: ["ok", "bad\u0000"], nested: { deep: "\uD800" }, when, n: 3 };
    const out = storableDeep(input);
    expect(out).toEqual({ "k\uFFFD": "v", list: ["ok", "bad\uFFFD"], nested: { deep: "\uFFFD" }, when, n: 3 });
    expect(out.when).toBe(when);
    expect(input.list[1]).toBe("bad\u0000"); // not mutated
    expect(Object.keys(input)).toContain("k\u0000");
  });
});
