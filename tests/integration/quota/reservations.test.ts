// Refusals caused by reservations (faults #14.5): under a burst most of a
// limit sits in `reserved` (estimates of calls in flight, each an upper bound
// of its real use) rather than in `used`. A call that would fit once those
// settle waits briefly for them instead of being refused; one still refused
// says so (its own code, the reserved amount apart in the headers) and gets a
// Retry-After of seconds, not the hours until the window resets.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { createAccount } from "@/lib/accounts";
import { closeDb } from "@/lib/db";
import { countChatTokens } from "@/lib/providers";
import { admit, createPolicy, stopSweeper, type Reservation } from "@/lib/quota";
import { flushUsage, recordUsage } from "@/lib/usage";
import { AppError } from "@/lib/core";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { startApp, type AppServer } from "../../support/app-server";
import { counters, eventually, newKey, system, unique } from "./helpers";

const MODEL = "quota-burst-model";
const messages = [{ role: "user" as const, content: "Name one prime number." }];
const PROMPT = countChatTokens(MODEL, messages);
// The finding's calls: an estimate of 64 tokens, of which about a third (22) is really used.
const ESTIMATE = 64;
const MAX_TOKENS = ESTIMATE - PROMPT;
const COMPLETION = 10;
const ACTUAL = PROMPT + COMPLETION;
const LIMIT = 20_000;
const CALLS = 500;

type Outcome = { status: number; type?: string; code?: string; message?: string; retryAfter: string | null; headers: Headers };

/** Waits until a window of `windowMs` has at least `marginMs` left, so a test never straddles a reset. */
async function awayFromBoundary(windowMs: number, marginMs: number): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 50));
}

afterAll(() => closeDb());

describe("faults #14.5: refusals caused by reservations", () => {
  let fake: FakeUpstream;
  let app: AppServer;
  let sql: pg.Pool;

  async function call(key: string, i: number): Promise<Outcome> {
    const stream = i % 2 === 0;
    const res = await fetch(`${app.url}/api/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages, max_tokens: MAX_TOKENS, stream }),
    });
    const text = await res.text();
    const base = { status: res.status, retryAfter: res.headers.get("retry-after"), headers: res.headers };
    if (res.status !== 200) {
      const err = JSON.parse(text).error;
      return { ...base, type: err.type, code: err.code, message: err.message };
    }
    return base;
  }

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL });
    fake = await startFakeUpstream({ defaultBehaviour: { promptTokens: PROMPT, completionTokens: COMPLETION, chunkDelayMs: 2 } });
    await createAccount(system, {
      name: unique("quota-burst-upstream"), provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-quota-upstream-0145", models: [MODEL],
      firstByteTimeoutMs: 20_000,
    });
    // The production flush interval (the harness's default is 100 ms): settlements arrive as late as they do in production.
    app = await startApp({ USAGE_FLUSH_MS: "500" });
  }, 900_000);

  afterAll(async () => {
    await app?.stop();
    await fake?.close();
    await sql?.end();
  });

  it("faults #14.5: a refusal for reserved capacity says so, reports used and reserved apart, and asks for a retry in seconds", async () => {
    const k = await newKey();
    const p = await createPolicy(system, { name: unique("held"), scope: "key", apiKeyId: k.id, tokensPerDay: 3 * ESTIMATE });
    // Three slow calls hold the whole limit for longer than a refused call waits.
    fake.enqueue(Array.from({ length: 3 }, () => ({ promptTokens: PROMPT, completionTokens: COMPLETION, headerDelayMs: 4000 })));
    const slow = Array.from({ length: 3 }, (_, i) => call(k.key, 2 * i + 1));
    await eventually(async () => {
      const [c] = await counters(sql, p.id);
      return c && c.reservedTokens === 3 * ESTIMATE;
    });

    const held = await call(k.key, 1);
    expect(held).toMatchObject({ status: 429, type: "quota_exceeded", code: "tokens_per_day_reserved" });
    expect(held.message).toContain(p.name);
    expect(held.message).toMatch(/in flight/);
    expect(Number(held.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(held.retryAfter)).toBeLessThanOrEqual(5);
    expect(held.headers.get("x-ratelimit-limit-tokens")).toBe(String(3 * ESTIMATE));
    expect(held.headers.get("x-ratelimit-used-tokens")).toBe("0");
    expect(held.headers.get("x-ratelimit-reserved-tokens")).toBe(String(3 * ESTIMATE));
    expect(held.headers.get("x-ratelimit-remaining-tokens")).toBe("0");

    // Once they settle (22 of the 64 each), the capacity is back.
    for (const o of await Promise.all(slow)) expect(o.status).toBe(200);
    await eventually(async () => {
      const [c] = await counters(sql, p.id);
      return c && c.reservedTokens === 0 && c.usedTokens === 3 * ACTUAL;
    });
    const ok = await call(k.key, 3);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-ratelimit-used-tokens")).toBe(String(3 * ACTUAL));
    expect(ok.headers.get("x-ratelimit-reserved-tokens")).toBe(String(ESTIMATE));
    expect(ok.headers.get("x-ratelimit-remaining-tokens")).toBe(String(3 * ESTIMATE - 3 * ACTUAL - ESTIMATE));
  }, 60_000);

  it("faults #14.5: a used-up limit keeps its own code and the window's reset in Retry-After", async () => {
    await awayFromBoundary(86_400_000, 120_000);
    const k = await newKey();
    await createPolicy(system, { name: unique("used-up"), scope: "key", apiKeyId: k.id, tokensPerDay: ESTIMATE + ACTUAL });
    expect((await call(k.key, 1)).status).toBe(200);
    // used 22 + 64 ≤ 86 (however late the first call settles), but not once a second call has settled too.
    expect((await call(k.key, 3)).status).toBe(200);
    const r = await call(k.key, 5);
    expect(r).toMatchObject({ status: 429, type: "insufficient_quota", code: "insufficient_quota" });
    expect(r.message).toMatch(/used up/);
    const toMidnight = (86_400_000 - (Date.now() % 86_400_000)) / 1000;
    expect(Number(r.retryAfter)).toBeGreaterThan(toMidnight - 60);
    expect(Number(r.retryAfter)).toBeLessThanOrEqual(Math.ceil(toMidnight) + 1);
    expect(r.headers.get("x-ratelimit-used-tokens")).toBe(String(2 * ACTUAL));
    expect(r.headers.get("x-ratelimit-reserved-tokens")).toBe("0");
  }, 60_000);
});

// The burst runs in-process, through the real admission, usage writer and settlement, with the upstream
// played by a timer: on the 2-core test machine `next start` serves ~30 calls a second, so 500 HTTP
// calls take ~17 s and never form a burst (measured: 0 of 500 refused, old code or new). In production
// the gateway admits a 500-call burst in well under a second, which is what admit() does here.
describe("faults #14.5: admission in-process, the burst and the wait", () => {
  let sql: pg.Pool;
  beforeAll(() => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL });
  });
  afterAll(async () => {
    stopSweeper();
    await flushUsage();
    await sql.end();
  });

  // Every call is estimated at 64 tokens and uses 22 (the finding's traffic: "this request needs 64"),
  // and holds its reservation for the upstream's 300 ms plus the usage writer's flush (500 ms interval,
  // the production default): reservations clear within about a second. If none were refused, the 500
  // calls would use 500 × 22 = 11,000 tokens, 55% of the 20,000 limit, so every refusal is a false one.
  // Measured on the code before the fix (refused at once whenever used + reserved + 64 > 20,000):
  // 188 of 500 refused (37.6%) in each of three runs, every one with Retry-After ≈ the hours left until
  // midnight UTC (21,400 s), at 34% real use (the finding saw 36% refused at 38%).
  // The fix must at least halve that, with no overshoot.
  const OLD_FALSE_REFUSALS = 188 / 500;

  const req = { model: MODEL, messages, max_tokens: MAX_TOKENS };
  /** Settles a call as another instance would: straight in the database, no settlement seen by this process. */
  async function settleElsewhere(r: Reservation, tokens: number) {
    const c = r.counters;
    await sql.query(`SELECT quota_settle($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::bigint[], $7::numeric[], $8::bigint[], $9::numeric[])`, [
      c.map(() => r.id), c.map((x) => x.policyId), c.map((x) => x.subject), c.map((x) => x.period), c.map((x) => x.windowStart),
      c.map((x) => x.tokens), c.map((x) => x.spend), c.map(() => tokens), c.map(() => 0),
    ]);
  }

  for (const where of ["on this instance (its settlement wakes the waiting call)", "on another instance (seen by polling)"] as const) {
    it(`faults #14.5: a call refused only for reservations waits and is admitted when they settle ${where}`, async () => {
      const k = await newKey();
      // Room for one estimate and one actual, not for two estimates.
      await createPolicy(system, { name: unique("wait"), scope: "key", apiKeyId: k.id, tokensPerDay: ESTIMATE + ACTUAL + 10 });
      const first = await admit(k.principal, req, { completionId: unique("c") });
      let done = false;
      const second = admit(k.principal, req, { completionId: unique("c") }).finally(() => (done = true));
      second.catch(() => {});
      await new Promise((r) => setTimeout(r, 150));
      expect(done).toBe(false);
      const id = unique("settled");
      if (where.startsWith("on this")) {
        recordUsage({
          completionId: id, createdAt: new Date(), apiKeyId: k.id, endUser: null, accountId: null, provider: null, requestedModel: MODEL, servedModel: MODEL,
          inputTokens: PROMPT, outputTokens: COMPLETION, cachedTokens: 0, latencyMs: 1, ttftMs: null, status: "ok", errorCode: null,
          stream: false, attempts: 1, reservation: first.reservation,
        });
        await flushUsage();
      } else await settleElsewhere(first.reservation!, ACTUAL);
      const admitted = await second;
      expect(admitted.reservation?.counters[0]?.tokens).toBe(ESTIMATE);
      expect(admitted.headers).toMatchObject({ "x-ratelimit-used-tokens": String(ACTUAL), "x-ratelimit-reserved-tokens": String(ESTIMATE) });
    });
  }

  it("faults #14.5: the wait is bounded: with nothing settling, the call is refused for reservations after about QUOTA_RESERVED_WAIT_MS", async () => {
    const k = await newKey();
    await createPolicy(system, { name: unique("bounded"), scope: "key", apiKeyId: k.id, tokensPerDay: ESTIMATE + 10 });
    await admit(k.principal, req, { completionId: unique("c") });
    const t0 = performance.now();
    const err = await admit(k.principal, req, { completionId: unique("c") }).then(
      () => null,
      (e: unknown) => e,
    );
    const waited = performance.now() - t0;
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).details.extra?.code).toBe("tokens_per_day_reserved");
    // The default budget is 1 s; generous upper bound for a loaded machine.
    expect(waited).toBeGreaterThanOrEqual(950);
    expect(waited).toBeLessThan(5000);
    expect(Number((err as AppError).details.headers?.["retry-after"])).toBeLessThanOrEqual(5);
  });

  const UPSTREAM_MS = 300;

  it("faults #14.5: a 500-call burst under a 20,000-token daily limit refuses at most half as often as before, never overshooting", async () => {
    await awayFromBoundary(86_400_000, 120_000);
    const k = await newKey();
    const p = await createPolicy(system, { name: unique("burst-20k"), scope: "key", apiKeyId: k.id, tokensPerDay: LIMIT });
    expect(ESTIMATE).toBe(PROMPT + MAX_TOKENS);

    // Watch the counter during the burst: used + reserved must never pass the limit.
    let peak = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const [c] = await counters(sql, p.id);
        if (c) peak = Math.max(peak, c.usedTokens + c.reservedTokens);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const t0 = Date.now();
    const one = async (): Promise<{ ok: true } | { ok: false; err: AppError }> => {
      const completionId = unique("burst");
      try {
        const { reservation } = await admit(k.principal, { model: MODEL, messages, max_tokens: MAX_TOKENS }, { completionId });
        await new Promise((r) => setTimeout(r, UPSTREAM_MS));
        recordUsage({
          completionId, createdAt: new Date(), apiKeyId: k.id, endUser: null, accountId: null, provider: null, requestedModel: MODEL, servedModel: MODEL,
          inputTokens: PROMPT, outputTokens: COMPLETION, cachedTokens: 0, latencyMs: UPSTREAM_MS, ttftMs: null, status: "ok", errorCode: null,
          stream: false, attempts: 1, reservation,
        });
        return { ok: true };
      } catch (err) {
        if (err instanceof AppError) return { ok: false, err };
        throw err;
      }
    };
    const outcomes = await Promise.all(Array.from({ length: CALLS }, one));
    const took = Date.now() - t0;
    watching = false;
    await watcher;

    const admitted = outcomes.filter((o) => o.ok).length;
    const refused = outcomes.flatMap((o) => (o.ok ? [] : [o.err]));
    const settled = await eventually(async () => {
      const [c] = await counters(sql, p.id);
      return c && c.reservedTokens === 0 && c.usedRequests === admitted ? c : null;
    }, 20_000);
    const fraction = refused.length / CALLS;
    process.stdout.write(
      `faults #14.5 burst: ${refused.length}/${CALLS} refused (${(100 * fraction).toFixed(1)}%, before the fix ${(100 * OLD_FALSE_REFUSALS).toFixed(1)}%) in ${took} ms, ` +
        `used ${settled.usedTokens}/${LIMIT} (${((100 * settled.usedTokens) / LIMIT).toFixed(0)}%), peak used+reserved ${peak}, ` +
        `retry-after ${[...new Set(refused.map((e) => e.details.headers?.["retry-after"]))].join(",")}\n`,
    );

    // Exact accounting and no overshoot, during and after.
    expect(settled.usedTokens).toBe(admitted * ACTUAL);
    expect(settled.usedTokens).toBeLessThanOrEqual(LIMIT);
    expect(peak).toBeLessThanOrEqual(LIMIT);
    // Real use ended under 80% of the limit: every refusal was a false one.
    expect(settled.usedTokens).toBeLessThan(0.8 * LIMIT);
    expect(fraction).toBeLessThanOrEqual(OLD_FALSE_REFUSALS / 2);
    // Whatever is still refused was refused for reservations, and told to come back in seconds.
    for (const e of refused) {
      expect(e.status).toBe(429);
      expect(e.details.extra?.code).toBe("tokens_per_day_reserved");
      expect(Number(e.details.headers?.["retry-after"])).toBeGreaterThanOrEqual(1);
      expect(Number(e.details.headers?.["retry-after"])).toBeLessThanOrEqual(5);
    }
  }, 120_000);
});
