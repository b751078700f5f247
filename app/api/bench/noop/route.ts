// POST /api/bench/noop: BENCH-ONLY. The framework floor for `npm run bench:gateway`:
// a route in the same build that does nothing Promptgate does (no auth, no
// body parsing, no database, no upstream), so the gateway's cost can be read as
// "gateway minus this". It is a 404 unless the server runs with PROMPTGATE_BENCH=1.
const COMPLETION = JSON.stringify({
  id: "chatcmpl-bench-noop",
  object: "chat.completion",
  created: 1_700_000_000,
  model: "bench-model",
  choices: [{ index: 0, message: { role: "assistant", content: "Hello from the no-op route" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 10, completion_tokens: 6, total_tokens: 16 },
});

export async function POST(req: Request): Promise<Response> {
  if (process.env.PROMPTGATE_BENCH !== "1") return new Response("Not Found", { status: 404 });
  // Drained, not parsed: every real handler must at least receive the body.
  await req.arrayBuffer();
  return new Response(COMPLETION, { headers: { "content-type": "application/json" } });
}
