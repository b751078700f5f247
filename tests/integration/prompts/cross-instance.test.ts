// Two `next start` instances on one database: a label moved (or a version
// saved) through one instance changes what /api/completion uses on the other
// within 1 s, through the resolution cache's LISTEN/NOTIFY invalidation.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import OpenAI from "openai";
import { Stream } from "openai/streaming";
import { createAccount } from "@/lib/accounts";
import { createApiKey } from "@/lib/auth/api-keys";
import { closeDb, db } from "@/lib/db";
import { createPrompt, createPromptVersion, moveLabel } from "@/lib/prompts";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { startApp, type AppServer } from "../../support/app-server";

const system = { kind: "system", name: "test" } as const;
const run = Date.now().toString(36);
const name = `xi-${run}`;
const MODEL = `xi-model-${run}`;

describe("prompt resolution across instances", () => {
  let a: AppServer;
  let b: AppServer;
  let fake: FakeUpstream;
  let key: string;
  let sql: pg.Pool;
  const versionIds: Record<number, string> = {};

  const post = (app: AppServer, path: string, body: unknown, method = "POST") =>
    fetch(`${app.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });

  async function servedVersion(app: AppServer, label?: string): Promise<number> {
    const r = await post(app, "/api/completion", { prompt: name, ...(label ? { label } : {}), variables: { who: "Ann" } });
    const body = (await r.json()) as { version?: number; error?: unknown };
    if (r.status !== 200) throw new Error(`completion failed: ${r.status} ${JSON.stringify(body)}`);
    return body.version!;
  }

  /** Polls until `app` serves `version`; returns the milliseconds it took. */
  async function untilServed(app: AppServer, version: number, label?: string, limitMs = 3000): Promise<number> {
    const t0 = performance.now();
    for (;;) {
      if ((await servedVersion(app, label)) === version) return performance.now() - t0;
      if (performance.now() - t0 > limitMs) throw new Error(`instance still serves another version after ${limitMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL });
    fake = await startFakeUpstream({ defaultBehaviour: { content: "ok", completionTokens: 1 } });
    await createAccount(system, { name: `xi-fake-${run}`, provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-xi-upstream-00001", models: ["xi-*"] });
    key = (await createApiKey(system, { name: `xi-${run}`, scopes: ["completions", "admin"] })).key;
    const content = (text: string) => ({
      messages: [{ role: "user", content: `${text} {{who}}` }],
      variables: [{ name: "who" }],
      config: { model: MODEL },
    });
    versionIds[1] = (await createPrompt(system, { name, ...content("v1"), labels: ["production"] })).id;
    versionIds[2] = (await createPromptVersion(system, name, { ...content("v2"), commitMessage: "v2" })).id;
    // One after the other: each checks (and may run) the build, and two builds must not race.
    a = await startApp();
    b = await startApp();
  }, 600_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db.providerAccount.deleteMany({ where: { name: `xi-fake-${run}` } });
    await fake?.close();
    await sql?.end();
    await closeDb();
  });

  it("serves from each instance's cache: a change that bypasses the domain (no notification) is not seen", async () => {
    expect(await servedVersion(a)).toBe(1);
    expect(await servedVersion(b)).toBe(1);
    await sql.query(`UPDATE "PromptLabel" SET "versionId" = $1 WHERE "name" = 'production' AND "versionId" = $2`, [versionIds[2], versionIds[1]]);
    try {
      for (let i = 0; i < 5; i++) expect(await servedVersion(b)).toBe(1);
    } finally {
      await sql.query(`UPDATE "PromptLabel" SET "versionId" = $1 WHERE "name" = 'production' AND "versionId" = $2`, [versionIds[1], versionIds[2]]);
    }
  });

  it("moves production through instance A and instance B serves the new version within 1 s, every time", async () => {
    const delays: number[] = [];
    for (const target of [2, 1, 2, 1, 2]) {
      const r = await post(a, `/api/admin/prompts/${name}/labels/production`, { version: target }, "PUT");
      expect(r.status).toBe(200);
      delays.push(await untilServed(b, target));
    }
    process.stdout.write(`label move visible on the second instance after ${delays.map((d) => d.toFixed(0)).join(", ")} ms\n`);
    expect(Math.max(...delays)).toBeLessThan(1000);
    // Rollback is the same move backwards.
    await moveLabel(system, name, "production", { version: 1 });
    expect(await untilServed(a, 1)).toBeLessThan(1000);
    expect(await untilServed(b, 1)).toBeLessThan(1000);
  });

  it("makes a version saved through instance B the latest on instance A within 1 s", async () => {
    expect(await servedVersion(a, "latest")).toBe(2);
    const r = await post(b, `/api/admin/prompts/${name}/versions`, {
      messages: [{ role: "user", content: "v3 {{who}}" }], variables: [{ name: "who" }], config: { model: MODEL }, commitMessage: "v3", baseVersion: 2,
    });
    expect(r.status).toBe(201);
    expect(await untilServed(a, 3, "latest")).toBeLessThan(1000);
  });

  it("works with the openai SDK's generic post, as the README shows, streamed and not", async () => {
    const client = new OpenAI({ apiKey: key, baseURL: `${b.url}/api`, maxRetries: 0 });
    const completion = await client.post<OpenAI.ChatCompletion & { prompt: string; version: number; label: string | null }>("/completion", {
      body: { prompt: name, variables: { who: "Ada" } },
    });
    expect(completion).toMatchObject({ object: "chat.completion", prompt: name, version: 1, label: "production" });
    expect(completion.choices[0]!.message.content).toBe("ok");

    const stream = await client.post<Stream<OpenAI.ChatCompletionChunk>>("/completion", {
      body: { prompt: name, stream: true, variables: { who: "Ada" } },
      stream: true,
      __streamClass: Stream,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    expect(text).toBe("ok");
  });
});
