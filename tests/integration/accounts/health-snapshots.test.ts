// Snapshots in-process: what one instance writes, another seeds from.
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { accountHealthDetail, clearHealthState, createAccount, invalidateRegistry, pickAccounts, reportFailure, seedFromCluster, writeHealthSnapshot } from "@/lib/accounts";
import { closeDb, db, pool } from "@/lib/db";
import { ProviderError } from "@/lib/providers";

const system = { kind: "system", name: "test" } as const;
const run = Date.now().toString(36);
const model = `snap-${run}`;
const err500 = () => new ProviderError("boom", { status: 500, code: "upstream_http_error", retryable: true, provider: "simulator" });

describe("account health snapshots", () => {
  afterAll(async () => {
    await db.providerAccount.deleteMany({ where: { name: { endsWith: `-${run}` } } });
    await closeDb();
  });
  beforeEach(() => clearHealthState());

  it("answers 404 for an account id that does not exist or is not a uuid, without asking Postgres to parse it", async () => {
    await expect(accountHealthDetail("not-a-uuid")).rejects.toMatchObject({ status: 404, code: "not_found" });
    await expect(accountHealthDetail("00000000-0000-4000-8000-000000000000")).rejects.toMatchObject({ status: 404 });
  });

  it("a fresh instance seeds the open circuits another instance wrote", async () => {
    const a = await createAccount(system, { name: `snap-a-${run}`, provider: "simulator", models: [model], priority: 0 });
    await createAccount(system, { name: `snap-b-${run}`, provider: "simulator", models: [model], priority: 1 });
    invalidateRegistry();
    const first = (await pickAccounts(model))[0]!;
    expect(first.account.id).toBe(a.id);
    for (let i = 0; i < 5; i++) reportFailure(first, err500());
    await writeHealthSnapshot();
    // Pretend the rows came from another instance, then forget everything locally.
    await pool().query(`UPDATE "AccountHealthSnapshot" SET "instanceId" = 'other-instance' WHERE "accountId" = $1`, [a.id]);
    clearHealthState();
    expect((await pickAccounts(model))[0]!.account.id).toBe(a.id);
    expect(await seedFromCluster()).toBeGreaterThanOrEqual(1);
    expect((await pickAccounts(model)).map((c) => c.account.id)).not.toContain(a.id);
  });
});
