import { describe, expect, it } from "vitest";
import { diffContents } from "@/lib/prompts/diff";
import { promptContent } from "@/lib/prompts/schemas";

const v1 = promptContent.parse({
  messages: [{ role: "system", content: "You are a helpful agent." }, { role: "user", content: "{{q}}" }],
  variables: [{ name: "q" }, { name: "old", required: false }],
  config: { model: "sim-small", temperature: 0.7, extra: { seed: 1 } },
});
const v2 = promptContent.parse({
  messages: [{ role: "system", content: "You are a very helpful agent." }, { role: "developer", content: "{{q}}" }, { role: "user", content: "Thanks" }],
  variables: [{ name: "q", type: "enum", values: ["a"] }, { name: "tone", required: false }],
  config: { model: "sim-large", temperature: 0.7, extra: { seed: 2 } },
});

describe("version diff", () => {
  it("diffs each message word by word, paired by position", () => {
    const d = diffContents(v1, v2, { from: 1, to: 2 });
    expect(d.messages.map((m) => m.status)).toEqual(["changed", "changed", "added"]);
    expect(d.messages[0]!.parts.filter((p) => p.added).map((p) => p.value.trim())).toEqual(["very"]);
    expect(d.messages[0]!.parts.some((p) => p.removed)).toBe(false);
    expect(d.messages[1]!.roleChanged).toBe(true);
    expect(d.messages[2]!.parts).toEqual([{ value: "Thanks", added: true }]);
  });

  it("lists config and variable changes", () => {
    const d = diffContents(v1, v2, { from: 1, to: 2 });
    expect(d.config).toEqual([
      { field: "extra.seed", before: 1, after: 2 },
      { field: "model", before: "sim-small", after: "sim-large" },
    ]);
    expect(d.variables.map((v) => [v.name, v.status])).toEqual([["q", "changed"], ["old", "removed"], ["tone", "added"]]);
    expect(d.variables[0]!.changes.map((c) => c.field)).toEqual(["type", "values"]);
  });

  it("reports nothing for identical versions", () => {
    const d = diffContents(v1, v1, { from: 1, to: 1 });
    expect(d.messages.every((m) => m.status === "unchanged")).toBe(true);
    expect(d.config).toEqual([]);
    expect(d.variables).toEqual([]);
  });
});
