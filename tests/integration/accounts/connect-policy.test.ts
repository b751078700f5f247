// The SSRF policy applied at connect time (security #13.5): a base URL is
// checked as written when it is saved, but what its host resolves to (or an
// IP literal saved before the policy changed) is checked only when a
// connection is made. Real sockets, the OS resolver, a real upstream that
// must see nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAccount, probeNow, testConnection } from "@/lib/accounts";
import { closeUpstreamPools } from "@/lib/providers";
import { createApiKey } from "@/lib/auth/api-keys";
import { closeDb, db } from "@/lib/db";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { startApp, type AppServer } from "../../support/app-server";

const system = { kind: "system", name: "test" } as const;
const run = Date.now().toString(36);
const uniq = (name: string) => `${name}-${run}`;

async function underPolicy<T>(policy: "public-only" | "allow-private", fn: () => Promise<T>): Promise<T> {
  const before = process.env.PROVIDER_URL_POLICY;
  process.env.PROVIDER_URL_POLICY = policy;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.PROVIDER_URL_POLICY;
    else process.env.PROVIDER_URL_POLICY = before;
  }
}

describe("connect-time address policy", () => {
  let fake: FakeUpstream;
  /** The fake upstream by a name (localhost) that the URL check alone cannot judge under allow-private. */
  let byName: string;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    byName = fake.openaiBaseUrl.replace("127.0.0.1", "localhost");
  });
  afterAll(async () => {
    await db.providerAccount.deleteMany({ where: { name: { endsWith: `-${run}` } } });
    await fake?.close();
    await closeDb();
  });
  // Each case starts with no open upstream connection: a kept-alive socket,
  // checked when it was opened, would carry a later request without a lookup.
  beforeEach(async () => {
    fake.reset();
    await closeUpstreamPools({ force: true });
  });

  it("security #13.5: test connection refuses a host that resolves to a loopback address under public-only, and sends nothing", async () => {
    const a = await createAccount(system, { name: uniq("by-name"), provider: "openai", baseUrl: byName, apiKey: "sk-connect-policy-0001", models: ["cp-1"] });
    const refused = await underPolicy("public-only", () => testConnection(system, a.id));
    expect(refused).toMatchObject({ ok: false, status: 502 });
    expect(refused.message).toMatch(/localhost \((127\.0\.0\.1|::1)\) points at a private, loopback.*PROVIDER_URL_POLICY=public-only/);
    expect(fake.requests).toHaveLength(0);
    // The same account under the default policy: the name was the only problem.
    expect(await underPolicy("allow-private", () => testConnection(system, a.id))).toMatchObject({ ok: true });
    expect(fake.requests).toHaveLength(1);
  });

  it("security #13.5: refuses an IP-literal base URL saved before the policy changed, and sends nothing", async () => {
    const a = await createAccount(system, { name: uniq("literal"), provider: "openai", baseUrl: fake.openaiBaseUrl, models: ["cp-2"] });
    const refused = await underPolicy("public-only", () => testConnection(system, a.id));
    expect(refused).toMatchObject({ ok: false, status: 502 });
    expect(refused.message).toMatch(/127\.0\.0\.1 points at .*PROVIDER_URL_POLICY=public-only/);
    expect(fake.requests).toHaveLength(0);
  });

  it("security #13.5: the 'list models' probe goes through the same check", async () => {
    const a = await createAccount(system, { name: uniq("probe"), provider: "openai", baseUrl: byName, models: ["cp-3"], probeMode: "models", enabled: false });
    const refused = await underPolicy("public-only", () => probeNow(system, a.id));
    expect(refused).toMatchObject({ ok: false, mode: "models" });
    expect(refused.message).toMatch(/PROVIDER_URL_POLICY=public-only/);
    expect(fake.requests).toHaveLength(0);
    expect(await underPolicy("allow-private", () => probeNow(system, a.id))).toMatchObject({ ok: true, mode: "models" });
  });

  describe("through the gateway", () => {
    let app: AppServer;
    let key: string;

    beforeAll(async () => {
      await createAccount(system, { name: uniq("gateway"), provider: "openai", baseUrl: byName, apiKey: "sk-connect-policy-0004", models: ["cp-gateway-*"] });
      key = (await createApiKey(system, { name: uniq("cp-key"), scopes: ["completions"] })).key;
      app = await startApp({ PROVIDER_URL_POLICY: "public-only", ACCOUNT_PROBE_TICK_MS: "3600000" });
    }, 600_000);
    afterAll(async () => {
      await app?.stop();
    });

    it("security #13.5: a completion routed to an account whose host resolves to loopback fails with a clear 502, not a 500, and sends nothing", async () => {
      const res = await fetch(`${app.url}/api/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "cp-gateway-1", messages: [{ role: "user", content: "hi" }] }),
      });
      const body = (await res.json()) as { error: { message: string } };
      expect(res.status, JSON.stringify(body)).toBe(502);
      // The client learns that the account is misconfigured, not where it points (test connection tells the admin).
      expect(body.error.message).toMatch(/provider_misconfigured, status 502/);
      expect(body.error.message).not.toMatch(/127\.0\.0\.1|localhost/);
      expect(fake.requests).toHaveLength(0);
    });
  });
});
