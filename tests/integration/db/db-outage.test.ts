// A database outage under traffic (faults #14.3). This file runs its own
// embedded Postgres (.data/test-outage-pg), so it can stop it (pg_ctl stop,
// i.e. a fast shutdown) or freeze it (SIGSTOP on the postmaster and every
// backend) without disturbing the shared test database, and points the app at
// it. While it is gone:
// - calls that need no database (a key without a quota: key, account, policy
//   and prompt caches all in memory) keep answering 200;
// - calls whose admission needs it (a key under a quota) get a fast 503 with
//   Retry-After and their completion id;
// - readiness answers 503 within a second, never by timing out;
// and once it is back every answered call has exactly one usage event.
// "Fast" is measured by the app itself (its request log line, matched by
// request id): on a loaded test machine a request can queue for seconds
// before the app reads it, in an outage or not, and that is not what this
// test is about.
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { Agent, request } from "undici";
import { applyMigrations } from "../../../lib/db/migrate.ts";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../../lib/db/embedded.ts";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { startApp, type AppServer } from "../../support/app-server";
import { createScratchDatabase, freePort, MIGRATIONS_DIR, ROOT, type ScratchDatabase } from "../../support/postgres";
import { eventually } from "../../support/eventually";

const DATA_DIR = `${ROOT}.data/test-outage-pg`;
const OUTAGE_MS = 5000;
const MODEL = "outage-model";
const PROMPT = "outage-prompt";
// What "fast" means for a refused call and a readiness probe (the admission bound is 1 s by default).
const FAST_MS = 1500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => process.stderr.write(`[outage-pg] ${line}\n`);

type Kind = "free" | "prompt" | "quota" | "open" | "budget";
type Call = { kind: Kind; requestId: string; sentAt: number; answeredAt?: number; status?: number; id?: string | null; retryAfter?: string | null; body?: string; error?: string };
type Probe = { requestId: string; sentAt: number; answeredAt?: number; status?: number; error?: string };
let requests = 0;
const nextRequestId = () => `outage-${process.pid}-${++requests}`;

/** The test's own Postgres: stop and start it again, or freeze and thaw every one of its processes. */
class OutageServer {
  server!: EmbeddedPostgres;
  port = 0;
  frozen: number[] = [];

  async start(): Promise<void> {
    this.port ||= await freePort();
    this.server = await startEmbeddedPostgres({ dataDir: DATA_DIR, port: this.port, log });
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  freeze(): void {
    const postmaster = Number.parseInt(readFileSync(`${DATA_DIR}/postmaster.pid`, "utf8").split("\n")[0]!, 10);
    const children = spawnSync("ps", ["-o", "pid=", "--ppid", String(postmaster)], { encoding: "utf8" })
      .stdout.split("\n").map((l) => Number(l.trim())).filter((n) => n > 0);
    // The postmaster first, so it forks no new backend that would escape the freeze.
    this.frozen = [postmaster, ...children];
    for (const pid of this.frozen) process.kill(pid, "SIGSTOP");
  }

  thaw(): void {
    for (const pid of this.frozen.splice(0)) {
      try {
        process.kill(pid, "SIGCONT");
      } catch {}
    }
  }
}

describe("a database outage under traffic", () => {
  const outage = new OutageServer();
  let database: ScratchDatabase;
  let app: AppServer; // QUOTA_FAIL_OPEN unset: admission fails closed
  let openApp: AppServer; // QUOTA_FAIL_OPEN=rate-limits
  let fake: FakeUpstream;
  let sql: pg.Pool;
  const keys = {} as Record<"admin" | Kind, string>;
  const policies = {} as Record<"quota" | "open" | "budget", string>;
  const dispatcher = new Agent({ connections: 256 });
  // Calls answered 200 on the rate-limited key (fail-open): each must be counted once in its windows.
  let openServed = 0;

  beforeAll(async () => {
    await outage.start();
    database = await createScratchDatabase(outage.server.adminUrl, "promptgate_outage");
    await applyMigrations({ connectionString: database.url, migrationsDir: MIGRATIONS_DIR, log });
    sql = new pg.Pool({ connectionString: database.url, max: 3 });
    sql.on("error", () => {});
    // The first admin key goes in by hand (the domain functions in this process use the shared test database).
    keys.admin = `pgk_${randomBytes(30).toString("base64url").replace(/[-_]/g, "x").slice(0, 40)}`;
    await sql.query(`INSERT INTO "ApiKey" ("name", "prefix", "hash", "scopes") VALUES ('outage-admin', $1, $2, $3)`, [
      keys.admin.slice(0, 12), createHash("sha256").update(keys.admin).digest("hex"), ["admin", "completions"],
    ]);
    fake = await startFakeUpstream({ models: [MODEL], defaultBehaviour: { content: "ok", promptTokens: 10, completionTokens: 5 } });
    const env = {
      DATABASE_URL: database.url,
      // Short refresh intervals, so the outage also outlasts every cache's normal lifetime.
      API_KEY_CACHE_TTL_MS: "1500",
      ACCOUNT_REFRESH_MS: "1000",
      QUOTA_POLICY_REFRESH_MS: "1000",
      USAGE_FLUSH_MS: "100",
      // The request log says how long the app itself took over each call and probe.
      LOG_LEVEL: "info",
    };
    app = await startApp(env);
    openApp = await startApp({ ...env, QUOTA_FAIL_OPEN: "rate-limits" });

    const admin = async (path: string, body: unknown) => {
      const res = await fetch(`${app.url}${path}`, {
        method: "POST", headers: { authorization: `Bearer ${keys.admin}`, "content-type": "application/json" }, body: JSON.stringify(body),
      });
      const json = (await res.json()) as Record<string, unknown>;
      expect(res.status, JSON.stringify(json)).toBe(201);
      return json;
    };
    await admin("/api/admin/accounts", { name: "outage-fake", provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-outage-upstream-01", models: [MODEL] });
    await admin("/api/admin/prompts", { name: PROMPT, messages: [{ role: "user", content: "Say ok." }], config: { model: MODEL }, labels: ["production"] });
    // Version 2 exists but no label points at it (the last test moves "production" there behind the app's back).
    await admin(`/api/admin/prompts/${PROMPT}/versions`, { commitMessage: "v2", messages: [{ role: "user", content: "Say ok again." }], config: { model: MODEL } });
    for (const kind of ["free", "prompt", "quota", "open", "budget"] as const) {
      keys[kind] = (await admin("/api/admin/keys", { name: `outage-${kind}`, scopes: ["completions"] })).key as string;
    }
    const keyId = async (key: string) => (await sql.query<{ id: string }>(`SELECT id FROM "ApiKey" WHERE prefix = $1`, [key.slice(0, 12)])).rows[0]!.id;
    policies.quota = (await admin("/api/admin/quotas", { name: "outage-quota", scope: "key", apiKeyId: await keyId(keys.quota), requestsPerMinute: 100_000, tokensPerDay: 100_000_000 })).id as string;
    policies.open = (await admin("/api/admin/quotas", { name: "outage-rate", scope: "key", apiKeyId: await keyId(keys.open), requestsPerMinute: 100_000, tokensPerMinute: 100_000_000 })).id as string;
    policies.budget = (await admin("/api/admin/quotas", { name: "outage-budget", scope: "key", apiKeyId: await keyId(keys.budget), requestsPerMinute: 100_000, spendPerDayUsd: 1000 })).id as string;
    // Warm every cache on both instances: the outage must find them loaded, as in production.
    for (const target of [app, openApp]) {
      for (const kind of ["free", "prompt", "quota", "open", "budget"] as const) {
        for (let i = 0; i < 3; i++) expect((await call(target, kind)).status).toBe(200);
        if (kind === "open") openServed += 3;
      }
    }
  }, 900_000);

  afterAll(async () => {
    outage.thaw();
    await Promise.all([app?.stop(), openApp?.stop()]);
    await fake?.close();
    await sql?.end().catch(() => {});
    await database?.drop().catch(() => {});
    await outage.server?.stop();
    await dispatcher.close();
  });

  async function call(target: AppServer, kind: Kind, into?: Call[]): Promise<Call> {
    const c: Call = { kind, requestId: nextRequestId(), sentAt: performance.now() };
    into?.push(c);
    const prompt = kind === "prompt";
    try {
      const res = await request(`${target.url}${prompt ? "/api/completion" : "/api/v1/chat/completions"}`, {
        method: "POST",
        dispatcher,
        headers: { authorization: `Bearer ${keys[kind]}`, "content-type": "application/json", "x-request-id": c.requestId },
        body: JSON.stringify(prompt ? { prompt: PROMPT } : { model: MODEL, max_tokens: 5, messages: [{ role: "user", content: "hi" }] }),
      });
      c.status = res.statusCode;
      c.id = res.headers["x-promptgate-completion-id"] as string | undefined;
      c.retryAfter = res.headers["retry-after"] as string | undefined;
      const text = await res.body.text();
      c.answeredAt = performance.now();
      if (res.statusCode !== 200) c.body = text.slice(0, 400);
    } catch (err) {
      c.error = String(err);
      c.answeredAt = performance.now();
    }
    return c;
  }

  async function probe(into: Probe[]): Promise<void> {
    const p: Probe = { requestId: nextRequestId(), sentAt: performance.now() };
    into.push(p);
    try {
      const res = await request(`${app.url}/api/health/ready`, { dispatcher, headersTimeout: 60_000, headers: { "x-request-id": p.requestId } });
      await res.body.text();
      p.status = res.statusCode;
    } catch (err) {
      p.error = String(err);
    }
    p.answeredAt = performance.now();
  }

  /** Traffic on every key (a call every 80 ms on the main ones) and a readiness probe every 200 ms, around an outage. */
  async function underOutage(begin: () => Promise<void> | void, end: () => Promise<void> | void) {
    const calls: Call[] = [];
    const probes: Probe[] = [];
    const pending: Promise<unknown>[] = [];
    let tick = 0;
    // The machine running the tests has 2 cores shared with other work: a rate it keeps up with.
    const timer = setInterval(() => {
      tick++;
      if (tick % 4 === 0) pending.push(call(app, "free", calls), call(app, "quota", calls));
      if (tick % 10 === 1) pending.push(call(app, "prompt", calls), call(openApp, "open", calls), call(openApp, "budget", calls));
      if (tick % 10 === 6) pending.push(probe(probes));
    }, 20);
    await sleep(1000);
    const t0 = Date.now();
    await begin();
    await sleep(OUTAGE_MS - (Date.now() - t0));
    await end();
    const t1 = Date.now();
    const after = performance.now();
    // Until the quota key is admitted again on both instances: the outage is over for the callers too.
    await eventually(async () => calls.some((c) => c.kind === "quota" && c.sentAt > after && c.status === 200)
      && calls.some((c) => c.kind === "open" && c.sentAt > after && c.status === 200)
      && calls.some((c) => c.kind === "budget" && c.sentAt > after && c.status === 200), 60_000, "admission after the outage");
    await sleep(500);
    clearInterval(timer);
    await Promise.all(pending);
    openServed += calls.filter((c) => c.kind === "open" && c.status === 200).length;
    return { calls, probes, t0, t1 };
  }

  type Handled = { status: number; ms: number; start: number };

  /** What the app's request log says of each request: its status and how long the app took over it. */
  function handledBy(target: AppServer): Map<string, Handled> {
    const out = new Map<string, Handled>();
    for (const line of target.output().split("\n")) {
      if (!line.includes('"msg":"request"')) continue;
      try {
        const j = JSON.parse(line) as { requestId?: string; status: number; ms: number; time: string };
        if (j.requestId) out.set(j.requestId, { status: j.status, ms: j.ms, start: Date.parse(j.time) - j.ms });
      } catch {}
    }
    return out;
  }

  async function expectOutageHandled({ calls, probes, t0, t1 }: Awaited<ReturnType<typeof underOutage>>) {
    // A log line can reach us a moment after its response did.
    let handled = new Map<string, Handled>();
    await eventually(async () => {
      handled = new Map([...handledBy(app), ...handledBy(openApp)]);
      return [...calls, ...probes].every((c) => c.error || handled.has(c.requestId));
    }, 10_000, "the request log line of every call").catch(() => {});
    const server = (c: Call | Probe) => handled.get(c.requestId);
    const show = (cs: (Call | Probe)[]) =>
      JSON.stringify(cs.slice(0, 8).map((c) => ({ ...c, sentAt: undefined, answeredAt: undefined, serverStart: server(c) && server(c)!.start - t0, serverMs: server(c)?.ms })));
    // Handled by the app while its database was stopped or frozen (by the app's clock, which is ours).
    const during = (c: Call | Probe) => {
      const h = server(c);
      return h !== undefined && h.start >= t0 && h.start <= t1;
    };
    const of = (kind: Kind) => calls.filter((c) => c.kind === kind);

    // Every call and probe got an answer, and the app logged each.
    const unanswered = [...calls, ...probes].filter((c) => c.error || !server(c));
    expect(unanswered, show(unanswered)).toEqual([]);

    // Calls that need no database keep answering 200, through the outage and after it.
    for (const kind of ["free", "prompt"] as const) {
      const bad = of(kind).filter((c) => c.status !== 200);
      expect(bad, `${kind}: ${show(bad)}`).toEqual([]);
      expect(of(kind).filter(during).length).toBeGreaterThan(kind === "free" ? 15 : 5);
    }

    // A call whose admission needs the database: 200 before and after, a fast 503 during, nothing else.
    for (const kind of ["quota", "budget"] as const) {
      const odd = of(kind).filter((c) => c.status !== 200 && c.status !== 503);
      expect(odd, `${kind}: ${show(odd)}`).toEqual([]);
      const refused = of(kind).filter((c) => c.status === 503);
      expect(refused.length, kind).toBeGreaterThan(kind === "quota" ? 10 : 3);
      const slow = refused.filter((c) => server(c)!.ms > FAST_MS);
      expect(slow, `${kind} refused slowly: ${show(slow)}`).toEqual([]);
      for (const c of refused) {
        expect(c.id, show([c])).toMatch(/^chatcmpl-/);
        expect(Number(c.retryAfter), show([c])).toBeGreaterThanOrEqual(1);
        expect(JSON.parse(c.body!), show([c])).toMatchObject({ error: { type: "server_error", code: "database_unavailable" } });
      }
      // Once the database had been gone for longer than the admission bound, nothing under a quota was admitted
      // (until it was back: a call taken up just before that may be admitted once it is).
      const admitted = of(kind).filter((c) => c.status === 200 && server(c)!.start >= t0 + FAST_MS && server(c)!.start <= t1 - FAST_MS);
      expect(admitted, `${kind} admitted during the outage: ${show(admitted)}`).toEqual([]);
    }
    // QUOTA_FAIL_OPEN=rate-limits: a key whose only policy is per-minute rate limits keeps being served.
    const open = of("open").filter((c) => c.status !== 200);
    expect(open, `open: ${show(open)}`).toEqual([]);
    expect(of("open").filter(during).length).toBeGreaterThan(5);

    // Readiness: every probe answered, within FAST_MS while the database was gone (never by the prober
    // giving up), and every probe the app took up from 1 s into the outage on said 503.
    const slowProbes = probes.filter((p) => during(p) && server(p)!.ms > FAST_MS);
    expect(slowProbes, show(slowProbes)).toEqual([]);
    const down = probes.filter((p) => server(p)!.start >= t0 + 1000 && server(p)!.start <= t1 - 1000);
    expect(down.filter((p) => p.status !== 503), show(down)).toEqual([]);
    expect(down.length).toBeGreaterThan(3);
    await eventually(async () => {
      const p: Probe[] = [];
      await probe(p);
      return p[0]!.status === 200;
    }, 30_000, "ready again");

    // 0 usage events lost: every call that got a completion id has exactly one, with the status it was answered with.
    const answered = calls.filter((c) => c.id && (c.status === 200 || c.status === 503));
    const ids = answered.map((c) => c.id!);
    expect(new Set(ids).size).toBe(ids.length);
    const stored = await eventually(async () => {
      const { rows } = await sql.query<{ completionId: string; status: string }>(
        `SELECT "completionId", status FROM "UsageEvent" WHERE "completionId" = ANY($1)`, [ids]);
      return rows.length === ids.length ? rows : null;
    }, 60_000, `all ${ids.length} usage events`).catch(async (err: unknown) => {
      const { rows } = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "UsageEvent" WHERE "completionId" = ANY($1)`, [ids]);
      throw new Error(`${String(err)}: ${rows[0]!.n} of ${ids.length} stored`);
    });
    const statusOf = new Map(stored.map((r) => [r.completionId, r.status]));
    const wrong = answered.filter((c) => statusOf.get(c.id!) !== (c.status === 200 ? "ok" : "unavailable"));
    expect(wrong.map((c) => ({ kind: c.kind, status: c.status, stored: statusOf.get(c.id!) }))).toEqual([]);
    expect(answered.filter((c) => c.status === 503).length).toBeGreaterThan(0);

    // Calls admitted without a reservation (fail-open) are settled when the database is back: the
    // rate-limit counters hold every request the key made, outage included.
    await eventually(async () => {
      const { rows } = await sql.query<{ n: number }>(
        `SELECT coalesce(sum("usedRequests"), 0)::int AS n FROM "QuotaCounter" WHERE "policyId" = $1`, [policies.open]);
      return rows[0]!.n === openServed;
    }, 30_000, `the ${openServed} calls of the fail-open key counted in its rate-limit windows`);
    // Nothing stays reserved once every call settled (a late-committing reservation is released too).
    await eventually(async () => {
      const { rows } = await sql.query<{ n: number }>(
        `SELECT coalesce(sum("reservedRequests"), 0)::int AS n FROM "QuotaCounter" WHERE "policyId" = ANY($1)`, [Object.values(policies)]);
      return rows[0]!.n === 0;
    }, 30_000, "no quota left reserved");
  }

  it("faults #14.3: pg_ctl stop for 5 s under load: calls without a quota answer 200, calls under one a fast 503, readiness 503 within 1 s, 0 usage events lost", async () => {
    await expectOutageHandled(await underOutage(() => outage.stop(), () => outage.start()));
  }, 180_000);

  it("faults #14.3: SIGSTOP for 5 s under load: calls without a quota answer 200, calls under one a fast 503, readiness 503 within 1 s, 0 usage events lost", async () => {
    await expectOutageHandled(await underOutage(() => outage.freeze(), () => outage.thaw()));
  }, 180_000);

  it("faults #14.3: a lost LISTEN connection drops no cache, and after the reconnect every cache reloads once, catching a change it missed", async () => {
    const servedVersion = async () => {
      const res = await fetch(`${app.url}/api/completion`, {
        method: "POST", headers: { authorization: `Bearer ${keys.prompt}`, "content-type": "application/json" }, body: JSON.stringify({ prompt: PROMPT }),
      });
      const body = (await res.json()) as { version?: number };
      expect(res.status, JSON.stringify(body)).toBe(200);
      return body.version;
    };
    expect(await servedVersion()).toBe(1);
    // Move the label with no notification: the app's cache (60 s) keeps serving version 1.
    await sql.query(
      `UPDATE "PromptLabel" l SET "versionId" = v."id" FROM "Prompt" p, "PromptVersion" v
       WHERE l."promptId" = p."id" AND p."name" = $1 AND l."name" = 'production' AND v."promptId" = p."id" AND v."version" = 2`, [PROMPT]);
    await sleep(300);
    expect(await servedVersion()).toBe(1);
    // The listening connections are cut (the database stays up): the caches keep serving meanwhile,
    // and the reconnect tells every cache it may have missed something. After the freeze of the test
    // before, the app's LISTEN connection may still be on its way back: wait for it (and ours) first.
    await eventually(async () => {
      const { rows } = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'promptgate-listen' AND datname = current_database()`);
      return rows[0]!.n >= 2 || null;
    }, 15_000, "both LISTEN connections up");
    const { rowCount } = await sql.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'promptgate-listen' AND datname = current_database()`);
    expect(rowCount).toBeGreaterThanOrEqual(2);
    expect((await call(app, "free")).status).toBe(200);
    await eventually(async () => (await servedVersion()) === 2, 15_000, "the missed label move seen after the reconnect");
    await eventually(async () => {
      const { rows } = await sql.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'promptgate-listen' AND datname = current_database()`);
      return rows.length >= 2;
    }, 15_000, "both instances listening again");
  }, 60_000);
});
