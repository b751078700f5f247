import { afterAll, describe, expect, it } from "vitest";
import { closeDb, db } from "@/lib/db";
import { seed } from "@/prisma/seed";
import { verifyApiKey } from "@/lib/auth/api-keys";
import { authenticate } from "@/lib/users";

describe("first-start seed", () => {
  afterAll(closeDb);

  it("creates the admin and the exact INIT_API_KEY once, and is a no-op afterwards", async () => {
    const env = { ADMIN_EMAIL: "Seed.Admin@Example.test", ADMIN_PASSWORD: "seed-password-123", INIT_API_KEY: "pgk_seeded_key_value_for_tests_000000000" };
    const first = await seed(env);
    expect(first).toMatchObject({ seeded: true, adminEmail: "seed.admin@example.test", generated: [] });
    expect(await authenticate("seed.admin@example.test", "seed-password-123")).toMatchObject({ role: "admin" });
    expect((await verifyApiKey(env.INIT_API_KEY)).ok).toBe(true);
    const sim = await db.providerAccount.findUniqueOrThrow({ where: { name: "Simulator (no real model)" } });
    expect(sim).toMatchObject({ provider: "simulator", enabled: true });

    const usersBefore = await db.user.count();
    const second = await seed({ ...env, ADMIN_EMAIL: "someone.else@example.test" });
    expect(second.seeded).toBe(false);
    expect(await db.user.count()).toBe(usersBefore);
    expect(await db.apiKey.count({ where: { prefix: env.INIT_API_KEY.slice(0, 12) } })).toBe(1);
  });

  it("audits what it created under the system actor", async () => {
    const entries = await db.auditLog.findMany({ where: { actorEmail: "system:seed" } });
        // Later areas seed demo data too (prompts, experiments); the foundation's three must be there, once each.
    const actions = entries.map((e) => e.action);
    for (const a of ["account.create", "apikey.create", "user.create"]) expect(actions.filter((x) => x === a)).toHaveLength(1);
  });
});
