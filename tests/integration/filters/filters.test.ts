// Content filters on the real gateway: a production build, a fake upstream
// whose SSE frames split sensitive values mid-word, and the key's policy set
// through the domain (as the console does).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { createAccount } from "@/lib/accounts";
import { createApiKey } from "@/lib/auth/api-keys";
import { setKeyFilters } from "@/lib/filters";
import { closeDb } from "@/lib/db";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { startApp, type AppServer } from "../../support/app-server";

const system = { kind: "system", name: "test" } as const;

function sse(pieces: string[], finish = true): string {
  const frame = (delta: object, finish_reason: string | null = null) =>
    `data: ${JSON.stringify({ id: "up-1", object: "chat.completion.chunk", created: 1, model: "flt-model", choices: [{ index: 0, delta, finish_reason }] })}\n\n`;
  let out = frame({ role: "assistant", content: "" });
  for (const p of pieces) out += frame({ content: p });
  if (finish) out += frame({}, "stop");
  out += `data: ${JSON.stringify({ id: "up-1", object: "chat.completion.chunk", created: 1, model: "flt-model", choices: [], usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 } })}\n\n`;
  return out + "data: [DONE]\n\n";
}

type Frame = { event: string | null; data: string };
function parseSse(text: string): Frame[] {
  return text
    .split("\n\n")
    .filter((b) => b.trim())
    .map((b) => {
      const lines = b.split("\n");
      return { event: lines.find((l) => l.startsWith("event: "))?.slice(7) ?? null, data: lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n") };
    });
}

const contentOf = (frames: Frame[]) =>
  frames
    .filter((f) => f.event === null && f.data !== "[DONE]")
    .map((f) => JSON.parse(f.data) as { choices: { delta: { content?: string } }[] })
    .map((c) => c.choices.map((x) => x.delta.content ?? "").join(""))
    .join("");

describe("content filters in the gateway", () => {
  let app: AppServer;
  let fake: FakeUpstream;
  const keys: Record<string, { key: string; id: string }> = {};

  const post = (key: string, body: object) =>
    fetch(`${app.url}/api/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });

  beforeAll(async () => {
    fake = await startFakeUpstream();
    await createAccount(system, { name: "flt-upstream", provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-filter-upstream-0001", models: ["flt-*"] });
    for (const name of ["plain", "masked", "blocking", "segments"]) {
      const k = await createApiKey(system, { name: `flt-${name}`, scopes: ["completions"] });
      keys[name] = { key: k.key, id: k.row.id };
    }
    await setKeyFilters(system, keys.masked!.id, { terms: ["Project Falcon", "password"], pii: ["email", "credit_card"], request: "mask" });
    await setKeyFilters(system, keys.blocking!.id, { pii: ["email"], request: "block" });
    await setKeyFilters(system, keys.segments!.id, { terms: ["falcon"], segments: true });
    app = await startApp();
  }, 240_000);

  afterAll(async () => {
    await app?.stop();
    await fake?.close();
    await closeDb();
  });

  beforeEach(() => fake.reset());

  const split = ["Write to jo", "hn.doe@exam", "ple.com about Project Fal", "con; the pass", "word is 4111 1111 ", "1111 1111", " ok"];

  it("masks terms, an email and a card number split across SSE chunks in the streamed response", async () => {
    fake.enqueue({ body: sse(split), headers: { "content-type": "text/event-stream" } });
    const res = await post(keys.masked!.key, { model: "flt-model", stream: true, messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(200);
    const frames = parseSse(await res.text());
    expect(contentOf(frames)).toBe(`Write to ${"*".repeat(20)} about ${"*".repeat(14)}; the ${"*".repeat(8)} is ${"*".repeat(19)} ok`);
    expect(frames.at(-1)!.data).toBe("[DONE]");
    expect(frames.some((f) => f.event === "segment")).toBe(false);
  });

  it("streams a key without a policy byte for byte as the upstream sent it", async () => {
    fake.enqueue({ body: sse(split), headers: { "content-type": "text/event-stream" } });
    const res = await post(keys.plain!.key, { model: "flt-model", stream: true, messages: [{ role: "user", content: "hi" }] });
    expect(contentOf(parseSse(await res.text()))).toBe(split.join(""));
  });

  it("masks the non-streamed completion and the request content in mask mode", async () => {
    fake.enqueue({ content: "Reach me at ana@example.com" });
    const client = new OpenAI({ apiKey: keys.masked!.key, baseURL: `${app.url}/api/v1`, maxRetries: 0 });
    const c = await client.chat.completions.create({ model: "flt-model", messages: [{ role: "user", content: "my password is hunter2, mail bob@example.org" }] });
    expect(c.choices[0]!.message.content).toBe(`Reach me at ${"*".repeat(15)}`);
    const sent = fake.requests.at(-1)!.body as { messages: { content: string }[] };
    expect(sent.messages[0]!.content).toBe(`my ******** is hunter2, mail ${"*".repeat(15)}`);
  });

  it("refuses a request with matching content in block mode before calling the upstream", async () => {
    const before = fake.requests.length;
    const res = await post(keys.blocking!.key, { model: "flt-model", messages: [{ role: "user", content: "I am ana@example.com" }] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string; param: string } };
    expect(body.error).toMatchObject({ code: "content_filter", param: "messages" });
    expect(body.error.message).toMatch(/blocked by this key's content filter.*email/);
    expect(JSON.stringify(body)).not.toContain("ana@example.com");
    expect(fake.requests.length).toBe(before);
  });

  it("sends opt-in segment events shaped so that OpenAI SDK stream loops pass over them", async () => {
    const pieces = ["Plan:\n``", "`sh\nrun fal", "con\n```\nDone\n-", "--\nBye"];
    fake.enqueue({ body: sse(pieces), headers: { "content-type": "text/event-stream" } });
    const res = await post(keys.segments!.key, { model: "flt-model", stream: true, messages: [{ role: "user", content: "hi" }] });
    const frames = parseSse(await res.text());
    const segmentFrames = frames.filter((f) => f.event === "segment").map((f) => JSON.parse(f.data) as { id: string; choices: unknown[]; promptgate_segment: unknown });
    expect(segmentFrames.every((f) => f.choices.length === 0 && f.id === res.headers.get("x-promptgate-completion-id"))).toBe(true);
    const segments = segmentFrames.map((f) => f.promptgate_segment);
    expect(segments).toEqual([
      { index: 0, kind: "text", content: "Plan:\n" },
      { index: 1, kind: "code", content: "```sh\nrun ******\n```\n" },
      { index: 2, kind: "text", content: "Done\n---\n" },
      { index: 3, kind: "text", content: "Bye" },
    ]);

    fake.enqueue({ body: sse(pieces), headers: { "content-type": "text/event-stream" } });
    const client = new OpenAI({ apiKey: keys.segments!.key, baseURL: `${app.url}/api/v1`, maxRetries: 0 });
    let text = "";
    for await (const chunk of await client.chat.completions.create({ model: "flt-model", stream: true, messages: [{ role: "user", content: "hi" }] })) {
      text += chunk.choices[0]?.delta?.content ?? "";
    }
    expect(text).toBe("Plan:\n```sh\nrun ******\n```\nDone\n---\nBye");
  });

  it("applies a changed policy to the next request", async () => {
    await setKeyFilters(system, keys.plain!.id, { terms: ["Falcon"] });
    // The app hears of the change over LISTEN/NOTIFY, which is asynchronous: allow it a moment.
    let text = "";
    for (let i = 0; i < 30 && !text.includes("******"); i++) {
      if (i) await new Promise((r) => setTimeout(r, 100));
      fake.enqueue({ body: sse(split), headers: { "content-type": "text/event-stream" } });
      const res = await post(keys.plain!.key, { model: "flt-model", stream: true, messages: [{ role: "user", content: "hi" }] });
      text = contentOf(parseSse(await res.text()));
    }
    expect(text).toContain("Project ******;");
    await setKeyFilters(system, keys.plain!.id, {});
  });
});
