import "server-only";
import { buildChatRequest, composeResolved, globalValues, renderPrompt, resolvePrompt } from "@/lib/prompts";
import type { ChatCompletionRequest } from "@/lib/providers";
import { evaluationCall } from "./call";
import type { ScorerConfig } from "./schemas";
import { parseJudgeAnswer, type Score } from "./scorers";

// LLM-as-judge: the rubric is a Promptgate prompt of the run's workspace (versioned, diffable,
// composable like any other), rendered with the row's variables plus `output`, `expected` and `input`
// (the variables as JSON), and called on the chosen account and model with a JSON-schema response
// format asking for {score, reasoning}. Score and reasoning are stored per row.

type Judge = Extract<ScorerConfig, { type: "judge" }>;

const ANSWER_FORMAT = {
  type: "json_schema",
  json_schema: {
    name: "judgement",
    strict: true,
    schema: {
      type: "object",
      properties: { score: { type: "number" }, reasoning: { type: "string" } },
      required: ["score", "reasoning"],
      additionalProperties: false,
    },
  },
} as const;

export async function judgeRequest(workspaceId: string, judge: Judge, row: { variables: Record<string, unknown>; expected: string | null }, output: string): Promise<{ request: ChatCompletionRequest; promptVersionId: string }> {
  const r = await resolvePrompt(workspaceId, judge.prompt, judge.version ? { version: judge.version } : { label: judge.label });
  const values = { ...row.variables, output, expected: row.expected ?? "", input: JSON.stringify(row.variables) };
  const rubric = (await composeResolved(workspaceId, r)).content;
  const { messages } = renderPrompt(rubric, values, await globalValues(workspaceId));
  const request = buildChatRequest(r.version.config, messages, { overrides: { model: judge.model } });
  return { request: { ...request, response_format: ANSWER_FORMAT } as ChatCompletionRequest, promptVersionId: r.version.id };
}

export async function scoreWithJudge(
  workspaceId: string, runId: string, judge: Judge, row: { variables: Record<string, unknown>; expected: string | null }, output: string,
): Promise<Score & { cost?: number | null }> {
  const { request, promptVersionId } = await judgeRequest(workspaceId, judge, row, output);
  const answer = await evaluationCall(workspaceId, request, { accountId: judge.accountId, promptVersionId, runId });
  const parsed = parseJudgeAnswer(answer.output);
  if ("error" in parsed) return { score: null, pass: null, error: parsed.error, cost: answer.cost };
  return { score: parsed.score, pass: judge.passAt === undefined ? null : parsed.score >= judge.passAt, reasoning: parsed.reasoning, cost: answer.cost };
}
