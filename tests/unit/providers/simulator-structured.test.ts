import { describe, expect, it } from "vitest";
import { simulateText } from "@/lib/providers/simulator";

// The simulator's structured output (issue 20 §3: an LLM judge runs on the simulator account).

const judge = {
  type: "json_schema",
  json_schema: { name: "judgement", strict: true, schema: { type: "object", properties: { score: { type: "number" }, reasoning: { type: "string" } }, required: ["score", "reasoning"] } },
};
const req = (content: string, response_format?: unknown) => ({ model: "sim-small", messages: [{ role: "user", content }], ...(response_format ? { response_format } : {}) }) as Parameters<typeof simulateText>[0];
const text = (r: ReturnType<typeof simulateText>) => r.pieces.join("");

describe("simulator structured output", () => {
  it("issue 20 §3: with a json_schema response format the simulator answers JSON of the schema's shape, deterministically", () => {
    const a = JSON.parse(text(simulateText(req("Rate this", judge), "sim-small"))) as { score: number; reasoning: string };
    expect(Object.keys(a)).toEqual(["score", "reasoning"]);
    expect(Number.isInteger(a.score) && a.score >= 1 && a.score <= 5).toBe(true);
    expect(a.reasoning).toMatch(/^[A-Z][a-z]+( [a-z]+)+\.$/);
    expect(text(simulateText(req("Rate this", judge), "sim-small"))).toBe(text(simulateText(req("Rate this", judge), "sim-small")));
    // Different messages, different answers (over a few tries, the scores are not all the same).
    const scores = new Set(Array.from({ length: 20 }, (_, i) => (JSON.parse(text(simulateText(req(`Rate ${i}`, judge), "sim-small"))) as { score: number }).score));
    expect(scores.size).toBeGreaterThan(1);
  });

  it("issue 20 §3: bounds, enums, arrays and json_object are honoured; no response format keeps the prose", () => {
    const schema = { type: "json_schema", json_schema: { name: "x", schema: { type: "object", properties: { n: { type: "integer", minimum: 7, maximum: 9 }, tag: { enum: ["a", "b"] }, list: { type: "array", items: { type: "boolean" } } } } } };
    const v = JSON.parse(text(simulateText(req("x", schema), "sim-small"))) as { n: number; tag: string; list: boolean[] };
    expect(v.n).toBeGreaterThanOrEqual(7);
    expect(v.n).toBeLessThanOrEqual(9);
    expect(["a", "b"]).toContain(v.tag);
    expect(typeof v.list[0]).toBe("boolean");
    expect(JSON.parse(text(simulateText(req("x", { type: "json_object" }), "sim-small")))).toHaveProperty("answer");
    expect(() => JSON.parse(text(simulateText(req("x"), "sim-small")))).toThrow();
  });
});
