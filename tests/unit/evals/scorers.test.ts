import { describe, expect, it } from "vitest";
import { scorerConfig, scorerNames, type ScorerConfig } from "@/lib/evals/schemas";
import { parseJudgeAnswer, scoreDeterministic } from "@/lib/evals/scorers";

// The deterministic scorers (issue 20 §3): pure functions of (output, expected).

const s = (c: unknown) => scorerConfig.parse(c) as Exclude<ScorerConfig, { type: "judge" }>;

describe("deterministic scorers", () => {
  it("issue 20 §3: exact match trims by default, is case-sensitive unless told, and cannot judge a row with no expected output", () => {
    expect(scoreDeterministic(s({ type: "exact" }), " Paris\n", "Paris")).toMatchObject({ score: 1, pass: true });
    expect(scoreDeterministic(s({ type: "exact" }), "paris", "Paris")).toMatchObject({ score: 0, pass: false });
    expect(scoreDeterministic(s({ type: "exact", caseSensitive: false }), "paris", "Paris")).toMatchObject({ score: 1 });
    expect(scoreDeterministic(s({ type: "exact", trim: false }), "Paris ", "Paris")).toMatchObject({ score: 0 });
    expect(scoreDeterministic(s({ type: "exact" }), "Paris", null)).toMatchObject({ score: null, error: expect.stringMatching(/no expected/) });
  });

  it("issue 20 §3: contains looks for its value, or the expected output, case-insensitively by default", () => {
    expect(scoreDeterministic(s({ type: "contains" }), "The capital is PARIS.", "Paris")).toMatchObject({ score: 1 });
    expect(scoreDeterministic(s({ type: "contains", caseSensitive: true }), "The capital is PARIS.", "Paris")).toMatchObject({ score: 0 });
    expect(scoreDeterministic(s({ type: "contains", value: "capital" }), "The capital is Paris.", null)).toMatchObject({ score: 1 });
    expect(scoreDeterministic(s({ type: "contains" }), "x", null).score).toBeNull();
  });

  it("issue 20 §3: regex tests the output with its flags; a bad pattern is an error, not a fail", () => {
    expect(scoreDeterministic(s({ type: "regex", pattern: "^\\d{3}-\\d{4}$" }), "555-1234", null)).toMatchObject({ score: 1 });
    expect(scoreDeterministic(s({ type: "regex", pattern: "^yes$", flags: "i" }), "YES", null)).toMatchObject({ score: 1 });
    expect(scoreDeterministic(s({ type: "regex", pattern: "^yes$" }), "YES", null)).toMatchObject({ score: 0 });
    expect(scoreDeterministic(s({ type: "regex", pattern: "(" }), "x", null)).toMatchObject({ score: null, error: expect.stringMatching(/bad pattern/) });
  });

  it("issue 20 §3: valid JSON passes JSON (also inside a ```json fence) and fails anything else", () => {
    expect(scoreDeterministic(s({ type: "json" }), '{"a": 1}', null)).toMatchObject({ score: 1 });
    expect(scoreDeterministic(s({ type: "json" }), '```json\n{"a": 1}\n```', null)).toMatchObject({ score: 1 });
    expect(scoreDeterministic(s({ type: "json" }), "{a: 1}", null)).toMatchObject({ score: 0 });
  });

  it("issue 20 §3: JSON-schema validity checks types and required fields, and names what is wrong", () => {
    const schema = { type: "object", properties: { name: { type: "string" }, age: { type: "integer", minimum: 0 } }, required: ["name", "age"] };
    expect(scoreDeterministic(s({ type: "json_schema", schema }), '{"name": "Ada", "age": 36}', null)).toMatchObject({ score: 1 });
    const missing = scoreDeterministic(s({ type: "json_schema", schema }), '{"name": "Ada"}', null);
    expect(missing).toMatchObject({ score: 0, pass: false });
    expect(missing.reasoning).toMatch(/age/);
    expect(scoreDeterministic(s({ type: "json_schema", schema }), '{"name": "Ada", "age": -1}', null)).toMatchObject({ score: 0 });
    expect(scoreDeterministic(s({ type: "json_schema", schema }), "not json", null)).toMatchObject({ score: 0, reasoning: expect.stringMatching(/not JSON/) });
  });

  it("issue 20 §3: numeric closeness compares the first number of each side, absolutely or relatively", () => {
    expect(scoreDeterministic(s({ type: "numeric", tolerance: 0.01 }), "The answer is 3.14159", "3.14")).toMatchObject({ score: 1 });
    expect(scoreDeterministic(s({ type: "numeric", tolerance: 0.001 }), "3.14159", "3.14")).toMatchObject({ score: 0 });
    expect(scoreDeterministic(s({ type: "numeric", tolerance: 0.05, relative: true }), "1,040", "1000")).toMatchObject({ score: 1 });
    expect(scoreDeterministic(s({ type: "numeric", tolerance: 0.01, relative: true }), "1,040", "1000")).toMatchObject({ score: 0 });
    expect(scoreDeterministic(s({ type: "numeric" }), "no number", "42")).toMatchObject({ score: 0 });
    expect(scoreDeterministic(s({ type: "numeric" }), "42", "n/a").score).toBeNull();
  });

  it("issue 20 §3: the judge's answer is read from JSON, also wrapped in prose; anything else is an error", () => {
    expect(parseJudgeAnswer('{"score": 4, "reasoning": "good"}')).toEqual({ score: 4, reasoning: "good" });
    expect(parseJudgeAnswer('Here you go: {"score": "3.5", "reasoning": "ok"} thanks')).toEqual({ score: 3.5, reasoning: "ok" });
    expect(parseJudgeAnswer("I think it is fine")).toHaveProperty("error");
  });

  it("issue 20 §3: scores are stored under the scorer's name, or its type numbered when repeated", () => {
    const cfg = [{ type: "exact" }, { type: "contains", value: "a" }, { type: "contains", value: "b" }, { type: "regex", pattern: "x", name: "has-x" }].map((c) => scorerConfig.parse(c));
    expect(scorerNames(cfg)).toEqual(["exact", "contains", "contains_2", "has-x"]);
  });
});
