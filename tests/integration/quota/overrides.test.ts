// Issue 19 §1: an instance admin raises a budget temporarily and resets a window's use, through the
// admin routes (in-process, real database), each audited in the policy's workspace; admission honours
// both at once and the raise lapses by itself.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { closeDb } from "@/lib/db";
import { createApiKey } from "@/lib/auth/api-keys";
import { countChatTokens } from "@/lib/providers";
import { admit, createPolicy, stopSweeper } from "@/lib/quota";
import { createWorkspace } from "@/lib/workspaces";
import { AppError, type Principal } from "@/lib/core";
import * as raiseRoute from "@/app/api/admin/quotas/[id]/raise/route";
import * as resetRoute from "@/app/api/admin/quotas/[id]/reset/route";
import { call } from "../../support/http";
import { counters, settle, system, unique } from "./helpers";

const MODEL = "gpt-4o-mini";
const messages = [{ role: "user" as const, content: "Raise me." }];
const PROMPT = countChatTokens(MODEL, messages);
const EST = PROMPT + 50;
const req = { model: MODEL, messages, max_tokens: 50 };

async function outcome(principal: Principal): Promise<number | string> {
  try {
    const r = await admit(principal, req, { completionId: unique("c") });
    await settle(unique("s"), r.reservation, { inputTokens: PROMPT, outputTokens: 50 });
    return 200;
  } catch (e) {
    if (e instanceof AppError) return String(e.details.extra?.code);
    throw e;
  }
}

describe("issue 19 §1: raising and resetting a budget (instance admins)", () => {
  let sql: pg.Pool;
  let instanceKey: Record<string, string>;
  let workspaceAdminKey: Record<string, string>;
  let inWs: Principal;
  let member: Principal;
  let wsId = "";

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL });
    // Not across a month boundary: these budgets are monthly, on real time (a raise ends at a real time).
    const d = new Date();
    if (d.getUTCDate() === new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate() && d.getUTCHours() === 23 && d.getUTCMinutes() >= 58) {
      await new Promise((r) => setTimeout(r, 150_000));
    }
    const slug = unique("raise").toLowerCase();
    wsId = (await createWorkspace(system, { name: slug, slug })).id;
    inWs = { kind: "system", name: "test", workspaceId: wsId };
    // An admin key of Default counts as an instance admin; one of a team workspace is only that workspace's admin.
    instanceKey = { authorization: `Bearer ${(await createApiKey(system, { name: unique("instance-admin"), scopes: ["admin"] })).key}` };
    workspaceAdminKey = { authorization: `Bearer ${(await createApiKey(inWs, { name: unique("ws-admin"), scopes: ["admin"] })).key}` };
    const { row } = await createApiKey(inWs, { name: unique("raise-key"), scopes: ["completions"] });
    member = { kind: "apiKey", key: { id: row.id, name: row.name, prefix: row.prefix, scopes: row.scopes, expiresAt: null, workspace: { id: wsId, allowedModels: [] } } };
  });
  afterEach(() => stopSweeper());
  afterAll(async () => {
    await sql.end();
    await closeDb();
  });

  const audit = async (action: string, targetId: string) =>
    (await sql.query(`SELECT "workspaceId", "before", "after" FROM "AuditLog" WHERE "action" = $1 AND "targetId" = $2 ORDER BY "createdAt"`, [action, targetId])).rows;

  it("issue 19 §1: a raise until a time is honoured by the next admission, lapses by itself, and is audited; a workspace admin may not raise", async () => {
    const p = await createPolicy(inWs, { name: unique("monthly"), scope: "workspace", tokensPerMonth: EST });
    expect(await outcome(member)).toBe(200);
    expect(await outcome(member)).toBe("insufficient_quota");

    const until = new Date(Date.now() + 4_000).toISOString();
    const body = { tokensPerMonth: EST * 2, until, reason: "launch week" };
    const denied = await call(raiseRoute.POST, { method: "POST", path: `/api/admin/quotas/${p.id}/raise`, headers: workspaceAdminKey, body, params: { id: p.id } });
    expect(denied.status).toBe(403);
    const noReason = await call(raiseRoute.POST, { method: "POST", path: `/api/admin/quotas/${p.id}/raise`, headers: instanceKey, body: { ...body, reason: "" }, params: { id: p.id } });
    expect(noReason.status).toBe(400);
    const notSet = await call(raiseRoute.POST, { method: "POST", path: `/api/admin/quotas/${p.id}/raise`, headers: instanceKey, body: { tokensPerDay: 5, until, reason: "x" }, params: { id: p.id } });
    expect(notSet).toMatchObject({ status: 400, json: { error: { param: "tokensPerDay" } } });

    const raised = await call(raiseRoute.POST, { method: "POST", path: `/api/admin/quotas/${p.id}/raise`, headers: instanceKey, body, params: { id: p.id } });
    expect(raised.status).toBe(200);
    expect(raised.json.raise).toMatchObject({ tokensPerMonth: EST * 2, until, reason: "launch week" });
    expect(await outcome(member)).toBe(200);
    expect(await outcome(member)).toBe(200);
    expect(await outcome(member)).toBe("insufficient_quota");
    expect((await counters(sql, p.id))[0]).toMatchObject({ usedTokens: EST * 3 });

    // After `until` the policy's own limit binds again, with nothing to undo.
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(until) - Date.now() + 200)));
    expect(await outcome(member)).toBe("insufficient_quota");
    const entries = await audit("quota.raise", p.id);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ workspaceId: wsId, before: null, after: { tokensPerMonth: EST * 2, reason: "launch week" } });
  });

  it("issue 19 §1: a reset forgets the current window's use with a reason (reservations kept), audited with the amounts forgotten", async () => {
    // A key of its own: the first test's workspace budget is used up.
    const { row } = await createApiKey(inWs, { name: unique("reset-key"), scopes: ["completions"] });
    const member: Principal = { kind: "apiKey", key: { id: row.id, name: row.name, prefix: row.prefix, scopes: row.scopes, expiresAt: null, workspace: { id: wsId, allowedModels: [] } } };
    await sql.query(`UPDATE "QuotaPolicy" SET "enabled" = false WHERE "workspaceId" = $1 AND "scope" = 'workspace'`, [wsId]);
    const p = await createPolicy(inWs, { name: unique("reset"), scope: "key", apiKeyId: row.id, tokensPerMonth: EST * 2 });
    expect(await outcome(member)).toBe(200);
    const held = await admit(member, req, { completionId: unique("c") });
    expect(await outcome(member)).toBe("tokens_per_month_reserved");

    const noReason = await call(resetRoute.POST, { method: "POST", path: `/api/admin/quotas/${p.id}/reset`, headers: instanceKey, body: { period: "month" }, params: { id: p.id } });
    expect(noReason.status).toBe(400);
    const denied = await call(resetRoute.POST, { method: "POST", path: `/api/admin/quotas/${p.id}/reset`, headers: workspaceAdminKey, body: { period: "month", reason: "x" }, params: { id: p.id } });
    expect(denied.status).toBe(403);
    const reset = await call(resetRoute.POST, { method: "POST", path: `/api/admin/quotas/${p.id}/reset`, headers: instanceKey, body: { period: "month", reason: "billing fixed" }, params: { id: p.id } });
    expect(reset.status).toBe(200);
    expect(reset.json.counters).toEqual([{ subject: expect.any(String), usedRequests: 1, usedTokens: EST, usedSpendUsd: 0 }]);
    expect((await counters(sql, p.id))[0]).toMatchObject({ usedTokens: 0, reservedTokens: EST, reservedRequests: 1 });
    expect(await outcome(member)).toBe(200);
    await settle(unique("s"), held.reservation, { inputTokens: PROMPT, outputTokens: 50 });
    expect((await counters(sql, p.id))[0]).toMatchObject({ usedTokens: EST * 2, reservedTokens: 0 });

    const entries = await audit("quota.reset", p.id);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ workspaceId: wsId, before: { period: "month", counters: [{ usedTokens: EST }] }, after: { reason: "billing fixed" } });
  });
});
