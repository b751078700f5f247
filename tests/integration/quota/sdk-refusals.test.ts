// Issue 19 §2 with the real `openai` SDK against `next start`: an exhausted budget is refused once
// and not retried (the SDK honours x-should-retry: false), a per-minute rate limit is retried and
// then served; every dialect speaks its own envelope for the budget refusal.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import OpenAI from "openai";
import { createAccount } from "@/lib/accounts";
import { createApiKey } from "@/lib/auth/api-keys";
import { closeDb, db } from "@/lib/db";
import { countChatTokens } from "@/lib/providers";
import { createPrompt } from "@/lib/prompts";
import { createPolicy } from "@/lib/quota";
import { createWorkspace } from "@/lib/workspaces";
import type { Principal } from "@/lib/core";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { startApp, type AppServer } from "../../support/app-server";
import { counters, eventually, system, unique } from "./helpers";

const MODEL = "quota-sdk-model";
const messages = [{ role: "user" as const, content: "Say hi." }];
const PROMPT = countChatTokens(MODEL, messages);
const COMPLETION = 5;
const COST = PROMPT + COMPLETION;

describe("issue 19 §2: refusals the openai SDK understands", () => {
  let fake: FakeUpstream;
  let app: AppServer;
  let sql: pg.Pool;
  let inWs: Principal;
  let account = "";
  const newWorkspace = async (): Promise<Principal> => {
    const slug = unique("sdk").toLowerCase();
    return { kind: "system", name: "test", workspaceId: (await createWorkspace(system, { name: slug, slug })).id };
  };

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL });
    fake = await startFakeUpstream({ defaultBehaviour: { promptTokens: PROMPT, completionTokens: COMPLETION } });
    account = unique("sdk-upstream");
    await createAccount(system, { name: account, provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-sdk-upstream-0001", models: [MODEL] });
    inWs = await newWorkspace();
    app = await startApp();
  }, 900_000);

  afterAll(async () => {
    await app?.stop();
    await db.providerAccount.deleteMany({ where: { name: account } });
    await fake?.close();
    await sql?.end();
    await closeDb();
  });

  /** A client whose every HTTP attempt (first try and retries) is counted. */
  const client = (apiKey: string) => {
    const hits = { n: 0 };
    const sdk = new OpenAI({
      apiKey, baseURL: `${app.url}/api/v1`, maxRetries: 2,
      fetch: (url: RequestInfo | URL, init?: RequestInit) => {
        hits.n++;
        return fetch(url, init);
      },
    });
    return { sdk, hits };
  };

  it("issue 19 §2: an exhausted workspace budget is refused exactly once: no SDK retries, no upstream call, insufficient_quota", async () => {
    const { key } = await createApiKey(inWs, { name: unique("sdk-budget"), scopes: ["completions"] });
    const p = await createPolicy(inWs, { name: unique("sdk-team-budget"), scope: "workspace", tokensPerDay: COST * 2 });
    const { sdk, hits } = client(key);
    for (let i = 0; i < 2; i++) await sdk.chat.completions.create({ model: MODEL, messages, max_tokens: COMPLETION });
    // Both calls settled (used, not just reserved): the next one finds the budget used up.
    await eventually(async () => (await counters(sql, p.id)).find((c) => c.usedTokens === COST * 2 && c.reservedTokens === 0));
    const upstreamBefore = fake.requests.length;
    hits.n = 0;

    const err = await sdk.chat.completions.create({ model: MODEL, messages, max_tokens: COMPLETION }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const e = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect({ status: e.status, code: e.code, type: e.type }).toEqual({ status: 429, code: "insufficient_quota", type: "insufficient_quota" });
    expect(e.headers.get("x-should-retry")).toBe("false");
    expect(e.message).toContain("Promptgate budget exhausted");
    expect(e.message).toContain("not your model provider's quota");
    expect(hits.n).toBe(1);
    expect(fake.requests.length).toBe(upstreamBefore);

    // The other dialects, same refusal in their own envelopes.
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const anthropic = await fetch(`${app.url}/api/v1/messages`, { method: "POST", headers, body: JSON.stringify({ model: MODEL, max_tokens: COMPLETION, messages }) });
    expect(anthropic.status).toBe(429);
    expect(anthropic.headers.get("x-should-retry")).toBe("false");
    expect(await anthropic.json()).toMatchObject({ type: "error", error: { type: "rate_limit_error", message: expect.stringContaining("Promptgate budget exhausted") } });

    const responses = await fetch(`${app.url}/api/v1/responses`, { method: "POST", headers, body: JSON.stringify({ model: MODEL, input: "Say hi.", max_output_tokens: COMPLETION }) });
    expect(responses.status).toBe(429);
    expect(responses.headers.get("x-should-retry")).toBe("false");
    expect((await responses.json()).error).toMatchObject({ type: "insufficient_quota", code: "insufficient_quota" });

    const name = unique("sdk-prompt");
    await createPrompt(inWs, {
      name, commitMessage: "v1", labels: ["production"],
      type: "chat", messages: [{ role: "user", content: "Say hi." }], variables: [], config: { model: MODEL, max_tokens: COMPLETION },
    });
    const completion = await fetch(`${app.url}/api/completion`, { method: "POST", headers, body: JSON.stringify({ prompt: name, variables: {} }) });
    expect(completion.status).toBe(429);
    expect(completion.headers.get("x-should-retry")).toBe("false");
    expect((await completion.json()).error).toMatchObject({ type: "insufficient_quota", code: "insufficient_quota" });
    expect(fake.requests.length).toBe(upstreamBefore);
  }, 120_000);

  it("issue 19 §2: a per-minute rate limit is retried by the SDK (Retry-After, no x-should-retry) and served in the next minute", async () => {
    const other = await newWorkspace();
    const { key, row } = await createApiKey(other, { name: unique("sdk-rpm"), scopes: ["completions"] });
    await createPolicy(other, { name: unique("sdk-rpm"), scope: "key", apiKeyId: row.id, requestsPerMinute: 1 });
    // Start 6 s before a minute ends, so the SDK's wait for the next one (Retry-After) stays short.
    const left = 60_000 - (Date.now() % 60_000);
    await new Promise((r) => setTimeout(r, (left - 6_000 + 60_000) % 60_000));
    const { sdk, hits } = client(key);
    await sdk.chat.completions.create({ model: MODEL, messages, max_tokens: COMPLETION });
    hits.n = 0;
    const raw = await fetch(`${app.url}/api/v1/chat/completions`, {
      method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages, max_tokens: COMPLETION }),
    });
    expect(raw.status).toBe(429);
    expect(raw.headers.get("x-should-retry")).toBeNull();
    expect(Number(raw.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(raw.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect((await raw.json()).error).toMatchObject({ type: "rate_limit_exceeded", code: "requests_per_minute" });

    // Still the same minute: the SDK's first try is refused, it waits Retry-After and retries.
    const served = await sdk.chat.completions.create({ model: MODEL, messages, max_tokens: COMPLETION });
    expect(served.choices[0]?.message).toBeDefined();
    expect(hits.n).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
