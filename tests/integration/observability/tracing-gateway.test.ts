// One real gateway call in-process (a simulator account, the real pipeline and
// database) traced through the OpenTelemetry SDK into its InMemorySpanExporter.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-node";
import { createAccount, invalidateRegistry } from "@/lib/accounts";
import { closeDb } from "@/lib/db";
import { chat, chatCompletionRequest } from "@/lib/gateway";
import { setTracerProvider, withRequestTrace } from "@/lib/observability";
import type { ChatCompletionRequest } from "@/lib/providers";
import { flushUsage } from "@/lib/usage";

const system = { kind: "system", name: "test" } as const;
const run = Date.now().toString(36);
const MODEL = `trace-sim-${run}`;
const parentId = (s: ReadableSpan) => s.parentSpanContext?.spanId ?? null;

describe("gateway tracing through the OpenTelemetry SDK", () => {
  const mem = new InMemorySpanExporter();
  let accountId: string;

  beforeAll(async () => {
    accountId = (await createAccount(system, { name: `trace-sim-${run}`, provider: "simulator", models: [MODEL] })).id;
    invalidateRegistry();
    setTracerProvider(new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(mem)] }));
  });

  afterAll(async () => {
    setTracerProvider(null);
    await flushUsage(5000);
    await closeDb();
  });

  it("records a streamed call as gateway.chat with its stages as children, the first-token event and the request id", async () => {
    const req = chatCompletionRequest.parse({ model: MODEL, stream: true, messages: [{ role: "user", content: "hello" }] });
    const res = await withRequestTrace("req-inproc-1", null, () => chat(system, req as ChatCompletionRequest, new AbortController().signal));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("data: [DONE]");
    // The root ends when the call settles, which may be just after the body's last byte.
    for (let i = 0; i < 100 && !mem.getFinishedSpans().some((s) => s.name === "gateway.chat"); i++) await new Promise((r) => setTimeout(r, 10));

    const spans = mem.getFinishedSpans();
    const root = spans.find((s) => s.name === "gateway.chat")!;
    expect(root).toBeDefined();
    expect(parentId(root)).toBeNull();
    expect(root.attributes).toMatchObject({
      "promptgate.request_id": "req-inproc-1", "gen_ai.request.model": MODEL, "promptgate.stream": true, "promptgate.status": "ok", "promptgate.account_id": accountId,
    });
    expect(root.attributes["promptgate.completion_id"]).toBe(res.headers.get("x-promptgate-completion-id"));
    const children = spans.filter((s) => parentId(s) === root.spanContext().spanId);
    expect(children.map((s) => s.name)).toEqual(["filter", "resolve", "route", "admit", "upstream", "stream", "settle"]);
    expect(children.every((s) => s.spanContext().traceId === root.spanContext().traceId)).toBe(true);
    const ttft = children.find((s) => s.name === "upstream")!.events;
    expect(ttft.map((e) => e.name)).toEqual(["first_token"]);
    expect(typeof ttft[0]!.attributes?.["promptgate.ttft_ms"]).toBe("number");
  });
});
