// Account health over real HTTP: the production build in front of fake
// upstreams with injected faults. Each test uses its own public model name, and
// circuits are per account and model, so the tests do not see each other's
// circuits even though they share the two accounts.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAccount } from "@/lib/accounts";
import { createApiKey } from "@/lib/auth/api-keys";
import { closeDb, db } from "@/lib/db";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { startApp, type AppServer } from "../../support/app-server";

const system = { kind: "system", name: "test" } as const;
const run = Date.now().toString(36);
const FAILURES = 4;
const COOLDOWN_MS = 1500;

type Reply = { status: number; model?: string; text: string; body: string };

describe("account health: circuit breakers, cool-downs, balancing and draining", () => {
  let app: AppServer;
  let fakeA: FakeUpstream; // primary (priority 0)
  let fakeB: FakeUpstream; // fallback (priority 1)
  let key: string;
  let adminKey: string;
  const ids: Record<string, string> = {};

  const reqsFor = (fake: FakeUpstream, model: string) => fake.requests.filter((r) => r.body?.model === model);

  async function chat(model: string, opts: { stream?: boolean; server?: AppServer } = {}): Promise<Reply> {
    const res = await fetch(`${(opts.server ?? app).url}/api/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], stream: opts.stream === true }),
    });
    const body = await res.text();
    if (!opts.stream) {
      const j = body ? JSON.parse(body) : {};
      return { status: res.status, model: j.model, text: j.choices?.[0]?.message?.content ?? "", body };
    }
    let text = "";
    for (const line of body.split("\n")) {
      if (!line.startsWith("data: ") || line === "data: [DONE]") continue;
      const j = JSON.parse(line.slice(6));
      text += j.choices?.[0]?.delta?.content ?? "";
    }
    return { status: res.status, text, body };
  }

  async function admin(method: string, path: string, body?: unknown, server = app) {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  }

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    [fakeA, fakeB] = await Promise.all([startFakeUpstream(), startFakeUpstream()]);
    const mk = (input: Record<string, unknown>) => createAccount(system, { firstByteTimeoutMs: 2000, idleTimeoutMs: 2000, provider: "openai", ...input });
    ids.a = (await mk({ name: `health-a-${run}`, baseUrl: fakeA.openaiBaseUrl, models: [`hf-${run}-*`], priority: 0 })).id;
    ids.b = (await mk({ name: `health-b-${run}`, baseUrl: fakeB.openaiBaseUrl, models: [`hf-${run}-*`], priority: 1 })).id;
    key = (await createApiKey(system, { name: `health-${run}`, scopes: ["completions"] })).key;
    adminKey = (await createApiKey(system, { name: `health-admin-${run}`, scopes: ["admin"] })).key;
    app = await startApp({
      GATEWAY_RETRY_BASE_MS: "10",
      GATEWAY_MAX_RETRY_AFTER_MS: "1000",
      ACCOUNT_CIRCUIT_FAILURES: String(FAILURES),
      ACCOUNT_CIRCUIT_COOLDOWN_MS: String(COOLDOWN_MS),
      ACCOUNT_SNAPSHOT_MS: "300",
    });
    // A cold server is slow on its first requests; warm it so the timing-sensitive tests measure routing.
    fakeA.setDefault({ content: "warm" });
    for (let i = 0; i < 5; i++) await chat(`hf-${run}-warmup`);
  }, 600_000);

  afterAll(async () => {
    await app?.stop();
    await Promise.all([fakeA?.close(), fakeB?.close()]);
    await db.providerAccount.deleteMany({ where: { name: { endsWith: `-${run}` } } });
    await db.setting.deleteMany({ where: { key: "accounts.routing" } });
    await closeDb();
  });

  beforeEach(() => {
    fakeA.reset();
    fakeB.reset();
    fakeB.setDefault({ content: "from B" });
  });

  it("opens A's circuit after the configured failures and serves every non-streamed request from B with no client-visible error", async () => {
    const model = `hf-${run}-nonstream`;
    fakeA.setDefault({ status: 500 });
    const replies: Reply[] = [];
    for (let i = 0; i < 8; i++) replies.push(await chat(model));
    expect(replies.map((r) => r.status)).toEqual(new Array(8).fill(200));
    expect(replies.every((r) => r.text === "from B")).toBe(true);
    // Two attempts per request on A until the circuit opened on the 4th failure; none after.
    expect(reqsFor(fakeA, model)).toHaveLength(FAILURES);
    expect(reqsFor(fakeB, model)).toHaveLength(8);
  });

  it("fails streams over to B before the first token, with no error event reaching the client", async () => {
    const model = `hf-${run}-stream`;
    // Headers arrive, then the connection drops before any event: a failure before the first token.
    fakeA.setDefault({ resetAfterChunks: 0 });
    for (let i = 0; i < 6; i++) {
      const r = await chat(model, { stream: true });
      expect(r.status).toBe(200);
      expect(r.text).toBe("from B");
      expect(r.body).toContain("data: [DONE]");
      expect(r.body).not.toContain('"error"');
    }
    expect(reqsFor(fakeA, model)).toHaveLength(FAILURES);
  });

  it("recovers through exactly one half-open probe, then A takes the traffic again", async () => {
    const model = `hf-${run}-recover`;
    fakeA.setDefault({ status: 502 });
    for (let i = 0; i < 3; i++) await chat(model);
    expect(reqsFor(fakeA, model)).toHaveLength(FAILURES);
    // A is healthy again but slow to answer, so concurrent requests overlap the probe.
    fakeA.setDefault({ content: "from A", headerDelayMs: 400 });
    await sleep(COOLDOWN_MS + 100);
    const burst = await Promise.all(Array.from({ length: 6 }, () => chat(model)));
    expect(burst.map((r) => r.status)).toEqual(new Array(6).fill(200));
    expect(reqsFor(fakeA, model)).toHaveLength(FAILURES + 1); // the one probe
    expect(burst.filter((r) => r.text === "from A")).toHaveLength(1);
    // The probe succeeded: the circuit is closed and A (priority 0) serves everything.
    fakeA.setDefault({ content: "from A" });
    const after = await Promise.all(Array.from({ length: 4 }, () => chat(model)));
    expect(after.map((r) => r.text)).toEqual(new Array(4).fill("from A"));
  });

  it("sends no traffic to A for about 2 s after a 429 with Retry-After: 2", async () => {
    const model = `hf-${run}-429`;
    fakeA.enqueue({ status: 429, retryAfter: 2 });
    fakeA.setDefault({ content: "from A" });
    const first = await chat(model);
    expect(first.status).toBe(200);
    expect(first.text).toBe("from B");
    const t429 = reqsFor(fakeA, model)[0]!.startedAt;
    const replies: Reply[] = [];
    while (Date.now() - t429 < 3500) {
      replies.push(await chat(model));
      await sleep(50);
    }
    expect(replies.every((r) => r.status === 200)).toBe(true);
    const later = reqsFor(fakeA, model).slice(1).map((r) => r.startedAt - t429);
    expect(later.length).toBeGreaterThan(0);
    expect(Math.min(...later)).toBeGreaterThanOrEqual(1900);
    // The first call after the cool-down reaches A; the bound leaves a loaded machine ~1 s for it.
    expect(Math.min(...later)).toBeLessThan(3000);
    // Requests in the first 1.9 s were all served by B.
    expect(replies.filter((r) => r.text === "from B").length).toBeGreaterThan(5);
  });

  it("with least latency, prefers the account that answers 50 ms faster for at least 90% of requests", async () => {
    const model = `hf-${run}-fastest`;
    // Same tier for this model only, through the per-model override.
    await admin("PATCH", `/api/admin/accounts/${ids.b}`, { modelOverrides: { [model]: { priority: 0 } } });
    const put = await admin("PUT", "/api/admin/accounts/routing", { modelStrategies: { [model]: "least_latency" } });
    expect(put.status).toBe(200);
    fakeA.setDefault({ content: "from A", headerDelayMs: 60 });
    fakeB.setDefault({ content: "from B", headerDelayMs: 10 });
    await sleep(200);
    const texts: string[] = [];
    for (let i = 0; i < 100; i++) texts.push((await chat(model)).text);
    const fast = texts.filter((t) => t === "from B").length;
    expect(fast).toBeGreaterThanOrEqual(90);
    expect(reqsFor(fakeA, model).length).toBeGreaterThan(0); // measured, not ignored
  });

  it("draining lets the in-flight stream finish and admits no new requests", async () => {
    const model = `hf-${run}-drain`;
    fakeA.setDefault({ content: "one two three four five six seven eight", chunkDelayMs: 120 });
    const res = await fetch(`${app.url}/api/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], stream: true }),
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);

    const drained = await admin("POST", `/api/admin/accounts/${ids.a}/actions`, { action: "drain" });
    expect(drained.status).toBe(200);
    await sleep(100);
    const during = await Promise.all(Array.from({ length: 5 }, () => chat(model)));
    expect(during.map((r) => r.text)).toEqual(new Array(5).fill("from B"));
    expect(reqsFor(fakeA, model)).toHaveLength(1);

    let rest = new TextDecoder().decode(first.value);
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      rest += new TextDecoder().decode(r.value);
    }
    const text = rest.split("\n").filter((l) => l.startsWith("data: {")).map((l) => JSON.parse(l.slice(6)).choices?.[0]?.delta?.content ?? "").join("");
    expect(text).toBe("one two three four five six seven eight");
    expect(rest).toContain("data: [DONE]");

    const health = await admin("GET", "/api/admin/accounts/health");
    expect(health.json.accounts.find((a: { id: string }) => a.id === ids.a).status).toBe("draining");
    await admin("POST", `/api/admin/accounts/${ids.a}/actions`, { action: "undrain" });
    const audit = await db.auditLog.findMany({ where: { targetId: ids.a, action: { in: ["account.drain", "account.undrain"] } } });
    expect(audit.map((e) => e.action).sort()).toEqual(["account.drain", "account.undrain"]);
  });

  it("resets a circuit on an admin's request and reports the account's health as JSON", async () => {
    const model = `hf-${run}-reset`;
    const accountA = async () => {
      const h = await admin("GET", "/api/admin/accounts/health");
      expect(h.status).toBe(200);
      return h.json.accounts.find((x: { id: string }) => x.id === ids.a);
    };
    // Earlier tests left errors on A in the same window: count this test's on top of them.
    const before = (await accountA()).windows["5m"].errors as number;
    fakeA.setDefault({ status: 500 });
    for (let i = 0; i < 3; i++) await chat(model);
    // The per-minute counters reach Postgres with the next periodic write.
    await expect.poll(async () => (await accountA()).windows["5m"].errors).toBeGreaterThanOrEqual(before + FAILURES);
    let a = await accountA();
    expect(a.status).toBe("circuit_open");
    expect(a.circuit).toMatchObject({ model, state: "open" });
    expect(a.lastError).toMatchObject({ code: "upstream_http_error" });
    expect(a.sparkline).toHaveLength(48);

    const reset = await admin("POST", `/api/admin/accounts/${ids.a}/actions`, { action: "reset_circuit" });
    expect(reset.status).toBe(200);
    fakeA.setDefault({ content: "from A" });
    expect((await chat(model)).text).toBe("from A");
    a = await accountA();
    expect(a.status).toBe("healthy");
    const detail = await admin("GET", `/api/admin/accounts/${ids.a}/health`);
    expect(detail.json.events.map((e: { kind: string }) => e.kind)).toEqual(expect.arrayContaining(["circuit_open", "circuit_reset"]));
    expect(detail.json.failures.length).toBeGreaterThan(0);
    expect(detail.json.hourly).toHaveLength(24);
  });

  it("combines the snapshots of two instances, and a new instance starts with the circuits the cluster has open", async () => {
    const model = `hf-${run}-cluster`;
    // Long enough to outlast a rebuild in startApp below (other people's edits trigger one).
    await admin("PUT", "/api/admin/accounts/routing", { circuit: { cooldownMs: 900_000, maxCooldownMs: 900_000 } });
    fakeA.setDefault({ status: 500 });
    for (let i = 0; i < 3; i++) await chat(model);
    expect(reqsFor(fakeA, model)).toHaveLength(FAILURES);
    // The periodic writer (not a page view) puts the open circuit in Postgres.
    await expect
      .poll(async () => (await db.accountHealthSnapshot.findMany({ where: { accountId: ids.a } })).some((r) => JSON.stringify(r.circuits).includes(model)))
      .toBe(true);

    const app2 = await startApp({ GATEWAY_RETRY_BASE_MS: "10", ACCOUNT_SNAPSHOT_MS: "300" });
    try {
      fakeA.setDefault({ content: "from A" });
      // Seeded: the second instance knows A's circuit for this model is open and never tries it.
      const seeded = [];
      for (let i = 0; i < 3; i++) seeded.push((await chat(model, { server: app2 })).text);
      if (seeded.includes("from A")) console.error(app2.output());
      expect(seeded).toEqual(["from B", "from B", "from B"]);
      expect(reqsFor(fakeA, model)).toHaveLength(FAILURES);
      // Other models still go to A from the second instance.
      expect((await chat(`hf-${run}-other`, { server: app2 })).text).toBe("from A");

      // Each instance sees the other once both have written a snapshot since app2's calls.
      const bothSeeBoth = async () => {
        const hs = [await admin("GET", "/api/admin/accounts/health", undefined, app), await admin("GET", "/api/admin/accounts/health", undefined, app2)];
        const b = hs.map((h) => h.json.accounts.find((x: { id: string }) => x.id === ids.b));
        return hs.every((h) => h.json.instances.length >= 2) && b[0].windows["5m"].requests === b[1].windows["5m"].requests && b.every((x) => x.instances.length === 2);
      };
      await expect.poll(bothSeeBoth).toBe(true);
      const h1 = await admin("GET", "/api/admin/accounts/health", undefined, app);
      const h2 = await admin("GET", "/api/admin/accounts/health", undefined, app2);
      for (const h of [h1, h2]) {
        expect(h.json.instances.length).toBeGreaterThanOrEqual(2);
        const a = h.json.accounts.find((x: { id: string }) => x.id === ids.a);
        expect(a.status).toBe("circuit_open");
        expect(a.instances.length).toBe(2);
        expect(a.circuits.find((c: { model: string }) => c.model === model).state).toBe("open");
        expect(a.instances.filter((i: { current: boolean }) => i.current)).toHaveLength(1);
      }
      const b1 = h1.json.accounts.find((x: { id: string }) => x.id === ids.b);
      const b2 = h2.json.accounts.find((x: { id: string }) => x.id === ids.b);
      // B's counters include both instances' calls, whichever instance is asked.
      expect(b1.windows["5m"].requests).toBe(b2.windows["5m"].requests);
      expect(b1.instances.length).toBe(2);
    } finally {
      await app2.stop();
      await admin("PUT", "/api/admin/accounts/routing", { circuit: { cooldownMs: COOLDOWN_MS, maxCooldownMs: 300_000 } });
    }
  }, 600_000);
});
