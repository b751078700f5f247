// The quota API (GET /api/quota) and the management API (/api/admin/quotas),
// called in-process with real Requests against the real database.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb, db } from "@/lib/db";
import { admit, createPolicy, deletePolicy, stopSweeper } from "@/lib/quota";
import * as quotaRoute from "@/app/api/quota/route";
import * as policiesRoute from "@/app/api/admin/quotas/route";
import * as policyRoute from "@/app/api/admin/quotas/[id]/route";
import { call } from "../../support/http";
import { newKey, system, unique } from "./helpers";

const messages = [{ role: "user" as const, content: "hi" }];

describe("quota API", () => {
  let admin: Awaited<ReturnType<typeof newKey>>;
  beforeAll(async () => {
    admin = await newKey(["admin"]);
  });
  afterAll(async () => {
    stopSweeper();
    await closeDb();
  });

  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

  it("reports every applicable policy of the calling key with limit, used, reserved, remaining and windows", async () => {
    const k = await newKey();
    const model = unique("status-model");
    const own = await createPolicy(system, { name: unique("own"), scope: "key", apiKeyId: k.id, tokensPerDay: 10_000, requestsPerMinute: 50 });
    const everyKey = await createPolicy(system, { name: unique("every-key"), scope: "key", tokensPerMonth: 1_000_000_000 });
    const wide = await createPolicy(system, { name: unique("model-wide"), scope: "model", model, spendPerDayUsd: 5 });
    const other = await newKey();
    const notMine = await createPolicy(system, { name: unique("not-mine"), scope: "key", apiKeyId: other.id, tokensPerDay: 5 });
    await admit(k.principal, { model, messages, max_tokens: 100 }, { completionId: unique("c") });

    const res = await call(quotaRoute.GET, { path: "/api/quota", headers: bearer(k.key) });
    expect(res.status).toBe(200);
    const ids = res.json.policies.map((p: { id: string }) => p.id);
    expect(ids).toEqual(expect.arrayContaining([own.id, everyKey.id, wide.id]));
    expect(ids).not.toContain(notMine.id);
    const mine = res.json.policies.find((p: { id: string }) => p.id === own.id);
    const day = mine.limits.find((l: { limit: string }) => l.limit === "tokens_per_day");
    expect(day).toMatchObject({ window: "day", max: 10_000, used: 0 });
    expect(day.reserved).toBeGreaterThan(100);
    expect(day.remaining).toBe(10_000 - day.reserved);
    expect(Date.parse(day.resets_at) - Date.parse(day.window_start)).toBe(86_400_000);
    const rpm = mine.limits.find((l: { limit: string }) => l.limit === "requests_per_minute");
    expect(rpm).toMatchObject({ max: 50, reserved: 1, remaining: 49 });
    // It applies to every key: other tests must not meet it.
    await deletePolicy(system, everyKey.id);
  });

  it("answers for an end user with ?user=, and lets only admin keys ask about another key", async () => {
    const k = await newKey();
    const perUser = await createPolicy(system, { name: unique("per-user"), scope: "user", apiKeyId: k.id, requestsPerMinute: 3 });
    await admit(k.principal, { model: "m", messages, max_tokens: 1, user: "ana" }, { completionId: unique("c") });
    const withoutUser = await call(quotaRoute.GET, { path: "/api/quota", headers: bearer(k.key) });
    expect(withoutUser.json.policies.map((p: { id: string }) => p.id)).not.toContain(perUser.id);
    const ana = await call(quotaRoute.GET, { path: "/api/quota?user=ana", headers: bearer(k.key) });
    expect(ana.json.policies.find((p: { id: string }) => p.id === perUser.id)).toMatchObject({ user: "ana", limits: [{ reserved: 1, remaining: 2 }] });

    const other = await newKey();
    const denied = await call(quotaRoute.GET, { path: `/api/quota?api_key_id=${k.id}`, headers: bearer(other.key) });
    expect(denied.status).toBe(403);
    expect(denied.json.error.type).toBe("permission_error");
    const allowed = await call(quotaRoute.GET, { path: `/api/quota?api_key_id=${k.id}&user=ana`, headers: bearer(admin.key) });
    expect(allowed.status).toBe(200);
    expect(allowed.json.api_key_id).toBe(k.id);
    expect(allowed.json.policies.map((p: { id: string }) => p.id)).toContain(perUser.id);
  });

  it("creates, lists, changes and deletes policies through the admin API, auditing each change", async () => {
    const k = await newKey();
    const name = unique("managed");
    const created = await call(policiesRoute.POST, {
      method: "POST", path: "/api/admin/quotas", headers: bearer(admin.key),
      body: { name, scope: "key_model", apiKeyId: k.id, model: "gpt-4o*", tokensPerMinute: 1000, spendPerMonthUsd: 12.5 },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name, scope: "key_model", model: "gpt-4o*", tokensPerMinute: 1000, spendPerMonthUsd: 12.5, enabled: true });
    const id = created.json.id;

    const list = await call(policiesRoute.GET, { path: "/api/admin/quotas", headers: bearer(admin.key) });
    expect(list.json.data.map((p: { id: string }) => p.id)).toContain(id);

    const patched = await call(policyRoute.PATCH, { method: "PATCH", path: `/api/admin/quotas/${id}`, headers: bearer(admin.key), params: { id }, body: { tokensPerMinute: 2000, enabled: false } });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ tokensPerMinute: 2000, enabled: false });

    const removed = await call(policyRoute.DELETE, { method: "DELETE", path: `/api/admin/quotas/${id}`, headers: bearer(admin.key), params: { id } });
    expect(removed.status).toBe(204);
    expect((await call(policyRoute.GET, { path: `/api/admin/quotas/${id}`, headers: bearer(admin.key), params: { id } })).status).toBe(404);

    const audit = await db.auditLog.findMany({ where: { targetId: id }, orderBy: { createdAt: "asc" } });
    expect(audit.map((a) => a.action)).toEqual(["quota.create", "quota.update", "quota.delete"]);
    expect(audit[1]?.before).toMatchObject({ tokensPerMinute: 1000, enabled: true });
    expect(audit[1]?.after).toMatchObject({ tokensPerMinute: 2000, enabled: false });
    expect(audit.every((a) => a.actorEmail === `apikey:${admin.principal.kind === "apiKey" ? admin.principal.key.prefix : ""}`)).toBe(true);
  });

  it("refuses inconsistent policies with the failing field named", async () => {
    const post = (body: unknown) => call(policiesRoute.POST, { method: "POST", path: "/api/admin/quotas", headers: bearer(admin.key), body });
    const noLimit = await post({ name: unique("x"), scope: "key" });
    expect(noLimit.status).toBe(400);
    const noModel = await post({ name: unique("x"), scope: "model", tokensPerDay: 5 });
    expect(noModel.status).toBe(400);
    expect(noModel.json.error.param).toBe("model");
    const keyOnModel = await post({ name: unique("x"), scope: "model", model: "m", apiKeyId: admin.id, tokensPerDay: 5 });
    expect(keyOnModel.json.error.param).toBe("apiKeyId");

    const p = await createPolicy(system, { name: unique("merge"), scope: "key", apiKeyId: admin.id, tokensPerDay: 5 });
    const bad = await call(policyRoute.PATCH, { method: "PATCH", path: `/api/admin/quotas/${p.id}`, headers: bearer(admin.key), params: { id: p.id }, body: { scope: "model" } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.param).toBe("model");
  });

  it("keeps the management API for admins", async () => {
    const k = await newKey();
    const res = await call(policiesRoute.GET, { path: "/api/admin/quotas", headers: bearer(k.key) });
    expect(res.status).toBe(403);
  });
});
