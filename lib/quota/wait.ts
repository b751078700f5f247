import "server-only";
import { pool } from "@/lib/db";
import { logger } from "@/lib/observability";
import { flushUsageNow, pendingUsage } from "@/lib/usage";
import type { QuotaPeriod } from "./schemas";
import { endOf, now, refusingLimits, type CounterState } from "./windows";

// The bounded wait of a call refused only because of reservations (see README.md): instead of refusing
// at once, admit() parks the call here until the counter that refused it has room again, or its wait
// budget runs out, and then tries quota_reserve once more (which alone decides, atomically). Parked
// calls hold no database connection and do not spin. What tells them room is back:
// - a settlement on this instance (settle.ts reports what each counter got back, at once);
// - settlements on other instances, seen by one poller per instance: a single read of every watched
//   counter, 50 ms after the first call parks, then 100, 200, 400, 400 … ms while any call waits.
// Calls are woken in arrival order, only as many as the room seen covers, so a settlement does not
// send every parked call to the database to fight over the same few tokens.
// While calls wait, this instance's usage writer is also flushed at the poller's pace rather than
// every USAGE_FLUSH_MS: the calls that finished here and still hold reservations settle at once.

export type CounterRef = { policyId: string; subject: string; period: QuotaPeriod; windowStart: number };
/** What a call needs on one counter: one request, its token estimate, its spend estimate. */
export type Need = { tokens: number; spend: number };
/** What a settlement did to one counter. */
export type Settled = CounterRef & { estTokens: number; estSpend: number; tokens: number; spend: number };

const FIRST_POLL_MS = 50;
const MAX_POLL_MS = 400;

type Waiter = { seq: number; need: Need; wake: () => void };
type Watch = {
  ref: CounterRef;
  /** The counter as last seen (a refusal, a poll), with this instance's settlements since applied. */
  state: CounterState | null;
  /** Woken calls' needs, not yet in any state seen: counted as reserved until the next poll. */
  promised: { requests: number; tokens: number; spend: number };
  waiters: Waiter[];
};
type WaitState = {
  watches: Map<string, Watch>; seq: number; timer?: NodeJS.Timeout; due: number; backoff: number; polling: boolean; again: boolean;
};

const g = globalThis as typeof globalThis & { __pgQuotaWait?: WaitState };
const ws: WaitState = (g.__pgQuotaWait ??= {
  watches: new Map(), seq: 0, due: Infinity, backoff: FIRST_POLL_MS, polling: false, again: false,
});

const keyOf = (r: CounterRef) => `${r.policyId}|${r.subject}|${r.period}|${r.windowStart}`;
const nothing = () => ({ requests: 0, tokens: 0, spend: 0 });

/** A ticket keeping a call's place in line across several waits. */
export function nextInLine(): number {
  return ++ws.seq;
}

/**
 * Waits until the counter `ref` (last seen as `seen`) looks like it has room for `need`, or until it
 * never will in this window, or `ms` has passed. Resolves either way: the caller tries again.
 */
export function waitForRoom(ref: CounterRef, seen: CounterState, need: Need, ms: number, seq: number): Promise<void> {
  return new Promise((resolve) => {
    const key = keyOf(ref);
    let w = ws.watches.get(key);
    if (!w) {
      w = { ref, state: null, promised: nothing(), waiters: [] };
      ws.watches.set(key, w);
    }
    // Read under the counter's lock just now: at least as fresh as anything polled before.
    w.state = { ...seen };
    w.promised = nothing();
    const watch = w;
    const waiter: Waiter = { seq, need, wake: () => {} };
    const timer = setTimeout(() => waiter.wake(), ms);
    waiter.wake = () => {
      clearTimeout(timer);
      const i = watch.waiters.indexOf(waiter);
      if (i >= 0) watch.waiters.splice(i, 1);
      if (watch.waiters.length === 0 && ws.watches.get(key) === watch) ws.watches.delete(key);
      resolve();
    };
    // In line by ticket: a call woken too early and refused again keeps its place.
    let at = watch.waiters.length;
    while (at > 0 && watch.waiters[at - 1]!.seq > seq) at--;
    watch.waiters.splice(at, 0, waiter);
    settleFinishedCalls();
    schedulePoll(ws.backoff);
  });
}

/** Writes the usage of calls that finished on this instance now: their settlement gives reserved capacity back. */
function settleFinishedCalls(): void {
  if (pendingUsage() > 0) flushUsageNow();
}

/** Called by settlement (settle.ts), in the batch's transaction: what each counter got back here. */
export function settledHere(entries: readonly Settled[]): void {
  if (ws.watches.size === 0) return;
  const touched = new Set<Watch>();
  for (const e of entries) {
    const w = ws.watches.get(keyOf(e));
    const s = w?.state;
    if (!w || !s) continue;
    // What quota_settle does to the row. A woken call's quota_reserve waits for this transaction's
    // row lock and then sees the committed row, so waking before the commit is safe.
    s.usedRequests += 1;
    s.reservedRequests = Math.max(0, s.reservedRequests - 1);
    s.usedTokens += e.tokens;
    s.reservedTokens = Math.max(0, s.reservedTokens - e.estTokens);
    s.usedSpend += e.spend;
    s.reservedSpend = Math.max(0, s.reservedSpend - e.estSpend);
    touched.add(w);
  }
  for (const w of touched) wakeWhoFits(w);
}

function wakeWhoFits(w: Watch): void {
  const s = w.state;
  if (!s) return;
  if (endOf(s) <= now()) {
    // The window ended: the next attempt counts in a new one.
    for (const waiter of [...w.waiters]) waiter.wake();
    return;
  }
  const p = w.promised;
  for (const waiter of [...w.waiters]) {
    const view = { ...s, reservedRequests: s.reservedRequests + p.requests, reservedTokens: s.reservedTokens + p.tokens, reservedSpend: s.reservedSpend + p.spend };
    const refusing = refusingLimits(view, waiter.need);
    if (refusing.length === 0) {
      p.requests += 1;
      p.tokens += waiter.need.tokens;
      p.spend += waiter.need.spend;
      waiter.wake();
    } else if (refusing.some((c) => c.verdict !== "reserved")) {
      // Settlements cannot make room for it any more: let it be refused now rather than at its deadline.
      waiter.wake();
    }
  }
}

function schedulePoll(delay: number): void {
  const due = Date.now() + delay;
  if (ws.timer && ws.due <= due) return;
  if (ws.timer) clearTimeout(ws.timer);
  ws.due = due;
  ws.timer = setTimeout(() => void poll(), delay);
  ws.timer.unref?.();
}

type PollRow = {
  policyId: string; subject: string; period: QuotaPeriod; windowStart: Date;
  usedRequests: number; reservedRequests: number; usedTokens: number; reservedTokens: number; usedSpend: number; reservedSpend: number;
  limitRequests: number | null; limitTokens: number | null; limitSpend: number | null; windowEnd: Date;
};

// A plain read, no locks: a stale answer only wakes a call too early (it is refused again and waits on) or too late.
const POLL_SQL = `
SELECT k."policyId", k."subject", k."period"::TEXT AS "period", k."windowStart",
       k."usedRequests", k."reservedRequests", k."usedTokens"::FLOAT8 AS "usedTokens", k."reservedTokens"::FLOAT8 AS "reservedTokens",
       k."usedSpendUsd"::FLOAT8 AS "usedSpend", k."reservedSpendUsd"::FLOAT8 AS "reservedSpend",
       l.lim_req AS "limitRequests", l.lim_tok::FLOAT8 AS "limitTokens", l.lim_usd::FLOAT8 AS "limitSpend",
       quota_window_end(c.w, k."windowStart", q."timeZone") AS "windowEnd"
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]) AS c(p, s, w, t)
JOIN "QuotaCounter" k ON k."policyId" = c.p AND k."subject" = c.s AND k."period" = c.w::"QuotaPeriod" AND k."windowStart" = c.t
JOIN "QuotaPolicy" q ON q."id" = c.p AND q."enabled"
CROSS JOIN LATERAL quota_limits(q, c.w, now()) l`;

async function poll(): Promise<void> {
  ws.timer = undefined;
  ws.due = Infinity;
  if (ws.polling) {
    ws.again = true;
    return;
  }
  const watches = [...ws.watches.values()];
  if (watches.length === 0) {
    ws.backoff = FIRST_POLL_MS;
    return;
  }
  ws.polling = true;
  settleFinishedCalls();
  try {
    const refs = watches.map((w) => w.ref);
    const { rows } = await pool().query<PollRow>(POLL_SQL, [
      refs.map((r) => r.policyId), refs.map((r) => r.subject), refs.map((r) => r.period), refs.map((r) => new Date(r.windowStart)),
    ]);
    const found = new Map(rows.map((r) => [keyOf({ ...r, windowStart: r.windowStart.getTime() }), r]));
    for (const w of watches) {
      const r = found.get(keyOf(w.ref));
      if (!r) {
        // The policy was disabled or deleted: the next attempt will not count it.
        for (const waiter of [...w.waiters]) waiter.wake();
        continue;
      }
      w.state = { ...r, windowStart: r.windowStart.getTime(), windowEnd: r.windowEnd.getTime() };
      w.promised = nothing();
      wakeWhoFits(w);
    }
  } catch (err) {
    logger.warn({ err }, "quota wait poll failed; waiting calls fall back to their deadline");
  } finally {
    ws.polling = false;
  }
  if (ws.watches.size === 0) {
    ws.backoff = FIRST_POLL_MS;
    return;
  }
  ws.backoff = Math.min(MAX_POLL_MS, ws.backoff * 2);
  schedulePoll(ws.again ? 0 : ws.backoff);
  ws.again = false;
}
