// How much admission over-reserves (faults #14.5), with the estimator the gateway uses: prompt
// tokens from the tokenizer + the completion budget (max_completion_tokens, else max_tokens, else the
// policy's default, else QUOTA_DEFAULT_MAX_TOKENS = 4096) × n. The prompt part is what settlement
// will count (an upstream that tokenizes like us reports the same), so every token of over-reservation
// is completion budget the call does not use: estimate / actual = (prompt + budget) / (prompt + answer).
// The answer lengths below are assumptions about typical calls, stated per row; the prompt counts and
// the estimates are the real ones. The figures are quoted in lib/quota/README.md.
import { describe, expect, it } from "vitest";
import { countChatTokens, type ChatCompletionRequest } from "@/lib/providers";
import { completionBudget } from "@/lib/quota/windows";

const MODEL = "gpt-4o-mini";
const system = { role: "system" as const, content: "You are a helpful assistant for an online shop. Answer briefly and politely, in the customer's language." };
const question = { role: "user" as const, content: "My order 1042 has not arrived after ten days. What can I do, and can I get a refund?" };
const context = { role: "user" as const, content: Array.from({ length: 120 }, (_, i) => `Policy clause ${i + 1}: returns are accepted within thirty days of delivery.`).join(" ") };

type Row = { name: string; req: ChatCompletionRequest; answer: number; policyDefault?: number };
const rows: Row[] = [
  // The finding's burst ("this request needs 64"), as tests/integration/quota/reservations.test.ts plays it.
  { name: "short question, max_tokens 52, 10-token answer (the burst)", req: { model: MODEL, messages: [{ role: "user", content: "Name one prime number." }], max_tokens: 52 }, answer: 10 },
  { name: "support chat, max_tokens 1024, 250-token answer", req: { model: MODEL, messages: [system, question], max_tokens: 1024 }, answer: 250 },
  { name: "support chat, no max_tokens (4096 reserved), 250-token answer", req: { model: MODEL, messages: [system, question] }, answer: 250 },
  { name: "support chat, no max_tokens, policy default 512, 250-token answer", req: { model: MODEL, messages: [system, question] }, answer: 250, policyDefault: 512 },
  { name: "long context, max_tokens 512, 200-token answer", req: { model: MODEL, messages: [system, context, question], max_tokens: 512 }, answer: 200 },
  { name: "classification, max_tokens 5, 2-token answer", req: { model: MODEL, messages: [system, question], max_tokens: 5 }, answer: 2 },
];

describe("faults #14.5: how much the estimate over-reserves on typical calls", () => {
  it("faults #14.5: reserves (prompt + budget) for (prompt + answer) used: 1.05× to 3.5× with max_tokens, 13.6× without", () => {
    const ratios = rows.map(({ name, req, answer, policyDefault }) => {
      const prompt = countChatTokens(req.model, req.messages, req.tools);
      const estimate = prompt + completionBudget(req, { defaultMaxTokens: policyDefault ?? null });
      const actual = prompt + answer;
      return { name, prompt, estimate, actual, ratio: Math.round((estimate / actual) * 100) / 100 };
    });
    process.stdout.write(`${ratios.map((r) => `${r.name}: prompt ${r.prompt}, estimate ${r.estimate}, used ${r.actual}, ×${r.ratio}`).join("\n")}\n`);
    expect(ratios.map((r) => r.ratio)).toEqual([2.91, 3.54, 13.61, 1.86, 1.16, 1.05]);
  });
});
