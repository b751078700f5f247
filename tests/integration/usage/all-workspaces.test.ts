// Usage across workspaces (issue 18, "the Usage page and the Overview can show all
// workspaces to instance admins, with workspace as a filter and a stack dimension"):
// over real HTTP against the production build, with users signed in through Auth.js.
// An instance admin reads one workspace or all of them, stacked and tabled by
// workspace name, on the dashboard endpoint, both CSV exports and the Overview.
// Every member of workspace A (admin, editor, viewer, and A's admin key) asking for
// all workspaces or for B gets the 404 a made-up id gets (existence not revealed),
// and without asking they get A only. All-workspaces ranges read the rollups.
import { randomBytes, randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/lib/auth/api-keys";
import { closeDb } from "@/lib/db";
import { insertUser } from "@/lib/users";
import { ALL_WORKSPACES, usageDashboard, usageFilterOptions, writeBatch, type UsageEventInput } from "@/lib/usage";
import type { UsageDashboard } from "@/lib/usage/types";
import { createWorkspace } from "@/lib/workspaces";
import { startApp, type AppServer } from "../../support/app-server";
import { signInOverHttp } from "../../support/callers";

const run = randomBytes(3).toString("hex");
const DAY = 86_400_000;
const FROM = Date.UTC(2043, 2, 1);
const TO = FROM + 5 * DAY;
const system = { kind: "system", name: "test" } as const;
const roles = ["admin", "editor", "viewer"] as const;

const event = (workspaceId: string, apiKeyId: string, id: string, at: number, model: string): UsageEventInput => ({
  completionId: id, createdAt: new Date(at), apiKeyId, endUser: null, accountId: null, provider: "openai", requestedModel: model, servedModel: null,
  inputTokens: 100, outputTokens: 10, cachedTokens: 0, latencyMs: 200, ttftMs: null, status: "ok", errorCode: null, stream: false, attempts: 1, workspaceId,
});

describe("usage across workspaces", () => {
  let app: AppServer;
  let sql: pg.Pool;
  const ws = { a: { id: "", name: `Usage A ${run}`, key: "", n: 37, recent: 3 }, b: { id: "", name: `Usage B ${run}`, key: "", n: 23, recent: 2 } };
  const cookies: Record<"instance" | (typeof roles)[number], Record<string, string>> = { instance: {}, admin: {}, editor: {}, viewer: {} };
  let adminKeyA: Record<string, string>;

  const range = `range=custom&from=${encodeURIComponent(new Date(FROM).toISOString())}&to=${encodeURIComponent(new Date(TO).toISOString())}`;
  const get = async (path: string, headers: Record<string, string>) => {
    const res = await fetch(`${app.url}${path}`, { headers, redirect: "manual" });
    return { status: res.status, text: await res.text() };
  };
  const dashboard = async (query: string, headers: Record<string, string>) => {
    const r = await get(`/api/admin/usage/dashboard?${range}&${query}`, headers);
    return { status: r.status, body: r.status === 200 ? (JSON.parse(r.text) as UsageDashboard) : (JSON.parse(r.text) as { error: { code: string; message: string } }) };
  };
  // The answer without its request id: the same for B as for an id that exists nowhere.
  const errorOf = (body: unknown) => {
    const e = (body as { error?: { code?: string; message?: string } }).error;
    return { code: e?.code, message: e?.message };
  };
  const csvRows = (text: string) => text.trim().split("\r\n").map((l) => l.split(","));

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
    for (const k of ["a", "b"] as const) {
      ws[k].id = (await createWorkspace(system, { name: ws[k].name, slug: `usage-${k}-${run}` })).id;
      ws[k].key = (await createApiKey({ ...system, workspaceId: ws[k].id }, { name: `usage-${k}-key-${run}`, scopes: ["completions"] })).row.id;
      const events = Array.from({ length: ws[k].n }, (_, i) => event(ws[k].id, ws[k].key, `allws-${run}-${k}-${i}`, FROM + 3_600_000 + i * 7_919_000, `model-${k}`));
      // A few in the last hour, for the Overview's 24 hours.
      for (let i = 0; i < ws[k].recent; i++) events.push(event(ws[k].id, ws[k].key, `allws-${run}-${k}-now-${i}`, Date.now() - 60_000 * (i + 1), `model-${k}`));
      await writeBatch(events);
    }
    adminKeyA = { authorization: `Bearer ${(await createApiKey({ ...system, workspaceId: ws.a.id }, { name: `usage-a-admin-${run}`, scopes: ["admin"] })).key}` };
    app = await startApp();
    const instance = { email: `instance-${run}@usage.test`, password: `pw-${randomBytes(9).toString("base64url")}` };
    await insertUser({ ...instance, name: "Instance admin", role: "admin" });
    cookies.instance = { cookie: await signInOverHttp(app.url, instance.email, instance.password) };
    for (const role of roles) {
      const u = { email: `${role}-a-${run}@usage.test`, password: `pw-${randomBytes(9).toString("base64url")}` };
      await insertUser({ ...u, name: `${role} of A`, role, workspaceId: ws.a.id, instanceAdmin: false });
      cookies[role] = { cookie: await signInOverHttp(app.url, u.email, u.password) };
    }
  }, 600_000);

  afterAll(async () => {
    await app?.stop();
    await sql?.end();
    await closeDb();
  });

  it("issue 18 usage: an instance admin reads all workspaces or one, stacked and tabled by workspace name", async () => {
    const all = await dashboard("workspace=all&by=workspace", cookies.instance);
    expect(all.status).toBe(200);
    const d = all.body as UsageDashboard;
    expect(d.current.requests).toBe(ws.a.n + ws.b.n);
    expect(d.stacked.keys.map((k) => k.label).sort()).toEqual([ws.a.name, ws.b.name].sort());
    expect(d.stacked.keys.map((k) => k.id).sort()).toEqual([ws.a.id, ws.b.id].sort());
    expect(d.top.workspaces.map((w) => [w.label, w.requests]).sort()).toEqual([[ws.a.name, ws.a.n], [ws.b.name, ws.b.n]].sort());
    // The other dimensions span both workspaces too.
    const byModel = (await dashboard("workspace=all&by=model", cookies.instance)).body as UsageDashboard;
    expect(byModel.stacked.keys.map((k) => k.id).sort()).toEqual(["model-a", "model-b"]);
    // One workspace, by id.
    const onlyB = (await dashboard(`workspace=${ws.b.id}&by=workspace`, cookies.instance)).body as UsageDashboard;
    expect(onlyB.current.requests).toBe(ws.b.n);
    expect(onlyB.stacked.keys.map((k) => k.label)).toEqual([ws.b.name]);
    // Without asking, the admin's current workspace (Default), which has none of it.
    expect(((await dashboard("by=workspace", cookies.instance)).body as UsageDashboard).current.requests).toBe(0);
    // A made-up workspace is a 404 for the instance admin too.
    expect((await dashboard(`workspace=${randomUUID()}`, cookies.instance)).status).toBe(404);
  });

  it("issue 18 usage IDOR: A's admin, editor, viewer and admin key asking for all workspaces or for B get 404 (as for a made-up id), and A otherwise", async () => {
    const callers = { ...cookies, adminKey: adminKeyA } as Record<string, Record<string, string>>;
    delete callers.instance;
    const ghost = await dashboard(`workspace=${randomUUID()}`, callers.viewer!);
    expect(ghost.status).toBe(404);
    for (const [who, headers] of Object.entries(callers)) {
      for (const asked of ["all", ws.b.id]) {
        const r = await dashboard(`workspace=${asked}&by=workspace`, headers);
        expect({ who, asked, status: r.status, error: errorOf(r.body) }).toEqual({ who, asked, status: 404, error: errorOf(ghost.body) });
      }
      for (const q of [`workspace=${ws.a.id}&by=workspace`, "by=workspace"]) {
        const r = await dashboard(q, headers);
        expect({ who, q, status: r.status }).toEqual({ who, q, status: 200 });
        const d = r.body as UsageDashboard;
        expect(d.current.requests).toBe(ws.a.n);
        expect(d.stacked.keys.map((k) => k.label)).toEqual([ws.a.name]);
      }
    }
  });

  it("issue 18 usage: the CSV exports honour the workspace, with its name, and refuse A's members all or B with 404", async () => {
    const events = await get(`/api/admin/usage/export/events?${range}&workspace=all`, cookies.instance);
    expect(events.status).toBe(200);
    const [header, ...rows] = csvRows(events.text);
    const name = header!.indexOf(`"workspace_name"`);
    expect(name).toBeGreaterThan(-1);
    expect(rows).toHaveLength(ws.a.n + ws.b.n);
    expect(rows.filter((r) => r[name] === `"${ws.b.name}"`)).toHaveLength(ws.b.n);
    const agg = await get(`/api/admin/usage/export/aggregate?${range}&workspace=${ws.b.id}&bucket=day`, cookies.instance);
    expect(agg.status).toBe(200);
    const [aggHeader, ...aggRows] = csvRows(agg.text);
    const col = (n: string) => aggHeader!.indexOf(`"${n}"`);
    expect(aggRows.reduce((s, r) => s + Number(r[col("requests")]), 0)).toBe(ws.b.n);
    expect(new Set(aggRows.map((r) => r[col("workspace_name")]))).toEqual(new Set([`"${ws.b.name}"`]));

    const callers = { admin: cookies.admin, editor: cookies.editor, viewer: cookies.viewer, adminKey: adminKeyA };
    for (const [who, headers] of Object.entries(callers)) {
      for (const kind of ["events", "aggregate"]) {
        for (const asked of ["all", ws.b.id]) {
          const r = await get(`/api/admin/usage/export/${kind}?${range}&workspace=${asked}`, headers);
          expect({ who, kind, asked, status: r.status, leaks: r.text.includes(ws.b.name) }).toEqual({ who, kind, asked, status: 404, leaks: false });
        }
        const own = await get(`/api/admin/usage/export/${kind}?${range}&bucket=day`, headers);
        expect({ who, kind, status: own.status, leaks: own.text.includes(ws.b.name) }).toEqual({ who, kind, status: 200, leaks: false });
      }
    }
  });

  it("issue 18 overview: an instance admin switches the KPI cards between this workspace and all; A's members get 404 for all or B", async () => {
    const requestsKpi = (html: string) => {
      const m = /data-testid="kpi-requests".*?data-testid="kpi-value"[^>]*>([^<]*)</s.exec(html);
      if (!m) return null;
      // Counts from 10,000 on are shown compact ("12.3K"); with every test's usage in the shared database
      // the all-workspaces figure is one of them.
      const [, n, unit] = /^([\d.,]+)([KMB]?)$/.exec(m[1]!.trim()) ?? [];
      return n === undefined ? Number.NaN : Number(n.replace(/,/g, "")) * ({ K: 1e3, M: 1e6, B: 1e9 }[unit as "K"] ?? 1);
    };
    const oneA = await get(`/?workspace=${ws.a.id}`, cookies.instance);
    expect(oneA.status).toBe(200);
    expect(requestsKpi(oneA.text)).toBe(ws.a.recent);
    const all = await get(`/?workspace=all`, cookies.instance);
    expect(all.status).toBe(200);
    expect(requestsKpi(all.text)).toBeGreaterThanOrEqual(ws.a.recent + ws.b.recent);
    expect(all.text).toContain("All workspaces");
    for (const role of roles) {
      expect({ role, status: (await get(`/?workspace=all`, cookies[role])).status }).toEqual({ role, status: 404 });
      expect({ role, status: (await get(`/?workspace=${ws.b.id}`, cookies[role])).status }).toEqual({ role, status: 404 });
      const own = await get(`/`, cookies[role]);
      expect(own.status).toBe(200);
      expect(requestsKpi(own.text)).toBe(ws.a.recent);
      // The selector is for instance admins only.
      expect(own.text).not.toContain("All workspaces");
      // The Usage page itself, asked for all or for B: the same 404.
      expect({ role, status: (await get(`/usage?workspace=all`, cookies[role])).status }).toEqual({ role, status: 404 });
      expect({ role, status: (await get(`/usage?workspace=${ws.b.id}`, cookies[role])).status }).toEqual({ role, status: 404 });
      expect((await get(`/usage`, cookies[role])).status).toBe(200);
    }
    expect((await get(`/usage?workspace=all`, cookies.instance)).status).toBe(200);
  });

  it("issue 18 usage: all-workspaces ranges read the rollups (raw events gone from whole days still count), and filter options span workspaces", async () => {
    const from = Date.UTC(2043, 5, 1);
    const batch = (["a", "b"] as const).flatMap((k) => Array.from({ length: 10 }, (_, i) => event(ws[k].id, ws[k].key, `allws-rollup-${run}-${k}-${i}`, from + DAY + i * 3_600_000, `model-${k}`)));
    await writeBatch(batch);
    // Whole days are answered from UsageRollupDay: without their raw events the totals stand.
    await sql.query(`DELETE FROM "UsageEvent" WHERE "completionId" LIKE $1`, [`allws-rollup-${run}-%`]);
    const view = { range: "custom" as const, from: new Date(from).toISOString(), to: new Date(from + 3 * DAY).toISOString(), by: "workspace" as const, filters: {} };
    const d = await usageDashboard(ALL_WORKSPACES, view);
    expect(d.current.requests).toBe(20);
    expect(d.stacked.keys.map((k) => k.label).sort()).toEqual([ws.a.name, ws.b.name].sort());
    const options = await usageFilterOptions(ALL_WORKSPACES);
    expect(options.keys.map((k) => k.value)).toEqual(expect.arrayContaining([ws.a.key, ws.b.key]));
    expect(options.keys.find((k) => k.value === ws.b.key)?.label).toContain(ws.b.name);
    expect((await usageFilterOptions(ws.a.id)).keys.map((k) => k.value)).not.toContain(ws.b.key);
    await sql.query(`DELETE FROM "UsageRollupHour" WHERE bucket >= $1 AND bucket < $2 AND "workspaceId" = ANY($3::uuid[])`, [new Date(from), new Date(from + 3 * DAY), [ws.a.id, ws.b.id]]);
    await sql.query(`DELETE FROM "UsageRollupDay" WHERE bucket >= $1 AND bucket < $2 AND "workspaceId" = ANY($3::uuid[])`, [new Date(from), new Date(from + 3 * DAY), [ws.a.id, ws.b.id]]);
  });
});
