// Both doors of the production server (scripts/server.ts): the fast door that calls the hot routes'
// handlers directly, and Next's request handler. Inputs the fuzz suite found to break the fast door
// (an oversized body, odd header bytes) must get the same clear answers through both, and leave a
// kept-alive connection usable for the next request: clients pool their connections.
import { Agent, request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "@/lib/accounts";
import { createApiKey } from "@/lib/auth/api-keys";
import { closeDb } from "@/lib/db";
import { startApp, type AppServer } from "../../support/app-server";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";

const system = { kind: "system", name: "test" } as const;
const run = Date.now().toString(36);
const MODEL = `doors-${run}`;

type Reply = { status: number; body: string; socket: unknown };

const DOORS: { door: string; env: Record<string, string> }[] = [
  { door: "fast door", env: {} },
  { door: "front door (Next)", env: { PROMPTGATE_FAST_DOOR: "false" } },
];

describe.each(DOORS)("the $door", ({ env }) => {
  let app: AppServer;
  let upstream: FakeUpstream;
  let key: string;
  // One socket, kept alive: the second request of a test must reuse the first one's connection.
  let agent: Agent;

  beforeAll(async () => {
    upstream = await startFakeUpstream({ defaultBehaviour: { content: "ok" } });
    await createAccount(system, { name: `doors-${run}-${Object.keys(env).length}`, provider: "openai", baseUrl: upstream.openaiBaseUrl, apiKey: "sk-doors-000000000001", models: [MODEL] });
    key = (await createApiKey(system, { name: `doors-${run}`, scopes: ["completions"] })).key;
    app = await startApp({ MAX_BODY_BYTES: "1048576", ...env });
  }, 600_000);

  afterAll(async () => {
    await app?.stop();
    await upstream?.close();
    await closeDb();
  });

  const send = (path: string, headers: Record<string, string>, body?: Buffer | string): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const req = request(`${app.url}${path}`, {
        method: "POST", agent,
        headers: { ...headers, ...(body !== undefined ? { "content-length": String(Buffer.byteLength(body)) } : {}) },
      }, (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (d: string) => (text += d)).on("end", () => resolve({ status: res.statusCode!, body: text, socket: res.socket })).on("error", reject);
      });
      req.on("error", reject);
      req.setTimeout(10_000, () => req.destroy(new Error("timeout")));
      if (body !== undefined) req.write(body);
      req.end();
    });
  const chat = () => send("/api/v1/chat/completions", { authorization: `Bearer ${key}`, "content-type": "application/json" }, JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "hi" }] }));
  const message = (r: Reply) => (JSON.parse(r.body) as { error: { message: string } }).error.message;

  it("answers an oversized body 413 with a clear message, and the connection serves the next call", async () => {
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const big = await send("/api/v1/chat/completions", { authorization: `Bearer ${key}`, "content-type": "application/json" }, Buffer.alloc(2_000_000, 0x61));
    expect(big.status).toBe(413);
    expect(message(big)).toMatch(/bytes|large/i);
    const next = await chat();
    expect(next.status).toBe(200);
    agent.destroy();
  });

  it("answers a body of the wrong content type (with a non-ASCII charset) 4xx with a message, and the connection serves the next call", async () => {
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const odd = await send("/api/completion", { authorization: `Bearer ${key}`, "content-type": "text/plain; charset=\u00e9" }, '{"a":{"a":1}}');
    expect(odd.status).toBeGreaterThanOrEqual(400);
    expect(odd.status).toBeLessThan(500);
    expect(message(odd).length).toBeGreaterThan(8);
    expect((await chat()).status).toBe(200);
    agent.destroy();
  });

  it("answers a bad credential with odd forwarding headers 401 with a message, and the connection serves the next call", async () => {
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const bad = await send("/api/feedback", { authorization: "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.x", "x-forwarded-for": "not-an-ip, \u00ff", "content-type": "application/x-www-form-urlencoded" }, "name=x&scopes=admin");
    expect(bad.status).toBe(401);
    expect(message(bad).length).toBeGreaterThan(8);
    expect((await chat()).status).toBe(200);
    agent.destroy();
  });
});
