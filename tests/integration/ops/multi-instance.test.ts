import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/lib/auth/api-keys";
import { closeDb } from "@/lib/db";
import { startApp, type AppServer } from "../../support/app-server";

// Two `next start` processes on one database, the way N instances run behind a
// load balancer. What one instance changes, the other must honour.

const system = { kind: "system", name: "test" } as const;

describe("two instances on one database", () => {
  let a: AppServer;
  let b: AppServer;
  let adminKey: string;

  beforeAll(async () => {
    adminKey = (await createApiKey(system, { name: "ops-multi-admin", scopes: ["admin"] })).key;
    // A long key cache: only LISTEN/NOTIFY can make the other instance notice a revocation within a second.
    const env = { API_KEY_CACHE_TTL_MS: "600000" };
    [a, b] = await Promise.all([startApp(env), startApp(env)]);
  }, 300_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await closeDb();
  });

  const models = (app: AppServer, key: string) => fetch(`${app.url}/api/v1/models`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);

  it("stops a key revoked on one instance on both within 1 s, despite the other's cache", async () => {
    const { key, row } = await createApiKey(system, { name: "ops-multi-revoke", scopes: ["completions"] });
    // Both instances have verified (and cached) the key.
    expect(await models(a, key)).toBe(200);
    expect(await models(b, key)).toBe(200);

    const del = await fetch(`${a.url}/api/admin/keys/${row.id}`, { method: "DELETE", headers: { authorization: `Bearer ${adminKey}` } });
    expect(del.status).toBe(200);
    const t0 = performance.now();
    expect(await models(a, key)).toBe(401);
    let statusOnB = 200;
    while (statusOnB === 200 && performance.now() - t0 < 3000) {
      statusOnB = await models(b, key);
      if (statusOnB === 200) await new Promise((r) => setTimeout(r, 10));
    }
    const elapsed = performance.now() - t0;
    expect(statusOnB).toBe(401);
    expect(elapsed).toBeLessThan(1000);
    process.stdout.write(`revocation reached the second instance in ${elapsed.toFixed(0)} ms\n`);
  });
});
