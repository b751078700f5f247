// `npm run admin -- quotas …` against the test database, audited as system:cli.
import { afterAll, describe, expect, it } from "vitest";
import { closeDb, db } from "@/lib/db";
import { newKey, unique } from "./helpers";
import { adminCli } from "../../support/cli";

const admin = adminCli;

describe("admin CLI: quotas", () => {
  afterAll(closeDb);

  it("creates, changes, lists, disables and deletes a policy, auditing each step", async () => {
    const k = await newKey();
    const prefix = k.key.slice(0, 12);
    const name = unique("cli-quota");
    const created = admin("quotas", "create", "--name", name, "--scope", "key", "--key", prefix, "--tpd", "50000", "--rpm", "60", "--spend-month", "12.5");
    expect(created.err).toBe("");
    expect(created.code).toBe(0);
    const row = await db.quotaPolicy.findUniqueOrThrow({ where: { workspaceId_name: { workspaceId: "00000000-0000-0000-0000-000000000001", name } } });
    expect(row).toMatchObject({ scope: "key", apiKeyId: k.id, tokensPerDay: 50_000, requestsPerMinute: 60 });
    expect(Number(row.spendPerMonthUsd)).toBe(12.5);

    expect(admin("quotas", "set", name, "--rpm", "none", "--tpm", "9000").code).toBe(0);
    expect(await db.quotaPolicy.findUniqueOrThrow({ where: { workspaceId_name: { workspaceId: "00000000-0000-0000-0000-000000000001", name } } })).toMatchObject({ requestsPerMinute: null, tokensPerMinute: 9000 });

    expect(admin("quotas", "list").out).toContain(name);
    expect(admin("quotas", "disable", name).code).toBe(0);
    expect((await db.quotaPolicy.findUniqueOrThrow({ where: { workspaceId_name: { workspaceId: "00000000-0000-0000-0000-000000000001", name } } })).enabled).toBe(false);

    const bad = admin("quotas", "create", "--name", unique("cli-bad"), "--scope", "model", "--tpd", "5");
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("--model");

    expect(admin("quotas", "delete", name).code).toBe(0);
    const audit = await db.auditLog.findMany({ where: { targetId: row.id, actorEmail: "system:cli" }, orderBy: { createdAt: "asc" } });
    expect(audit.map((a) => a.action)).toEqual(["quota.create", "quota.update", "quota.update", "quota.delete"]);
  });

  it("issue 19 §1: creates a workspace budget with a time zone and thresholds", async () => {
    const name = unique("cli-team");
    const created = admin("quotas", "create", "--name", name, "--scope", "workspace", "--spend-month", "500", "--time-zone", "Europe/Berlin", "--thresholds", "50,90");
    expect(created.err).toBe("");
    const row = await db.quotaPolicy.findUniqueOrThrow({ where: { workspaceId_name: { workspaceId: "00000000-0000-0000-0000-000000000001", name } } });
    expect(row).toMatchObject({ scope: "workspace", apiKeyId: null, timeZone: "Europe/Berlin", thresholds: [50, 90] });
    const bad = admin("quotas", "create", "--name", unique("cli-tz"), "--scope", "workspace", "--tpd", "5", "--time-zone", "Mars/Olympus");
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("--time-zone");
    expect(admin("quotas", "delete", name).code).toBe(0);
  });
});
