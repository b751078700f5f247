import "server-only";
import { z } from "zod";
import type { ScorerConfig } from "./schemas";

// The deterministic scorers: pure functions of (output, expected). Each answers a score (pass/fail
// scorers 1 or 0), or an error when it cannot judge (no expected output, a bad pattern). The judge
// (judge.ts) calls a model and is not here.

export type Score = { score: number | null; pass: boolean | null; reasoning?: string; error?: string };

const pass = (ok: boolean, reasoning?: string): Score => ({ score: ok ? 1 : 0, pass: ok, ...(reasoning ? { reasoning } : {}) });
const cannot = (error: string): Score => ({ score: null, pass: null, error });

function parseJson(output: string): { ok: true; value: unknown } | { ok: false; error: string } {
  // A model often fences its JSON; the fence is not part of the answer.
  const fenced = /^\s*```(?:json)?\s*\n([\s\S]*?)\n\s*```\s*$/.exec(output);
  try {
    return { ok: true, value: JSON.parse(fenced ? fenced[1]! : output) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

const NUMBER = /[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/;
function firstNumber(s: string): number | null {
  const m = NUMBER.exec(s.replaceAll(",", ""));
  return m ? Number(m[0]) : null;
}

type Deterministic = Exclude<ScorerConfig, { type: "judge" }>;

export function scoreDeterministic(s: Deterministic, output: string, expected: string | null): Score {
  switch (s.type) {
    case "exact": {
      if (expected === null) return cannot("the row has no expected output");
      let a = output;
      let b = expected;
      if (s.trim) [a, b] = [a.trim(), b.trim()];
      if (!s.caseSensitive) [a, b] = [a.toLowerCase(), b.toLowerCase()];
      return pass(a === b);
    }
    case "contains": {
      const needle = s.value ?? expected;
      if (needle === null || needle === "") return cannot("no text to look for: set a value or the row's expected output");
      return pass(s.caseSensitive ? output.includes(needle) : output.toLowerCase().includes(needle.toLowerCase()));
    }
    case "regex": {
      let re: RegExp;
      try {
        re = new RegExp(s.pattern, s.flags);
      } catch (err) {
        return cannot(`bad pattern: ${(err as Error).message}`);
      }
      return pass(re.test(output));
    }
    case "json": {
      const r = parseJson(output);
      return r.ok ? pass(true) : pass(false, r.error);
    }
    case "json_schema": {
      const r = parseJson(output);
      if (!r.ok) return pass(false, `not JSON: ${r.error}`);
      let schema: z.ZodType;
      try {
        schema = z.fromJSONSchema(s.schema as Parameters<typeof z.fromJSONSchema>[0]);
      } catch (err) {
        return cannot(`bad JSON schema: ${(err as Error).message}`);
      }
      const v = schema.safeParse(r.value);
      return v.success ? pass(true) : pass(false, v.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; "));
    }
    case "numeric": {
      if (expected === null) return cannot("the row has no expected output");
      const want = firstNumber(expected);
      if (want === null) return cannot("the expected output holds no number");
      const got = firstNumber(output);
      if (got === null) return pass(false, "the output holds no number");
      const diff = Math.abs(got - want);
      const limit = s.relative ? s.tolerance * Math.abs(want) : s.tolerance;
      return pass(diff <= limit, `|${got} − ${want}| = ${diff}`);
    }
  }
}

/** The judge's structured answer: a score and the reasoning behind it. */
export const judgeAnswer = z.object({ score: z.coerce.number(), reasoning: z.string().default("") });

export function parseJudgeAnswer(output: string): { score: number; reasoning: string } | { error: string } {
  const r = parseJson(output);
  let value = r.ok ? r.value : null;
  if (!r.ok) {
    // Some models wrap the object in prose; take the outermost braces.
    const i = output.indexOf("{");
    const j = output.lastIndexOf("}");
    if (i >= 0 && j > i) {
      const inner = parseJson(output.slice(i, j + 1));
      if (inner.ok) value = inner.value;
    }
  }
  const a = judgeAnswer.safeParse(value);
  if (!a.success || !Number.isFinite(a.data.score)) return { error: `the judge did not answer {score, reasoning}: ${output.slice(0, 200)}` };
  return a.data;
}
