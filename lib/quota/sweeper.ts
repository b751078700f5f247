import "server-only";
import { config } from "@/lib/config";
import { pool } from "@/lib/db";
import { logger } from "@/lib/observability";
import { now } from "./windows";

// Reservations expire so that a crashed instance's holds do not block a key
// forever. While an instance is alive it keeps its own calls' reservations
// fresh (one UPDATE per interval for all of them), so a long stream is never
// released early; once it dies they lapse within QUOTA_RESERVATION_TTL_MS and any
// instance's sweeper gives the reserved amounts back. The sweeper starts with
// the first admission, never at import (a build imports modules too).

export const reservationTtlMs = (): number => config().QUOTA_RESERVATION_TTL_MS;
const sweepMs = (): number => config().QUOTA_SWEEP_MS ?? Math.min(15_000, Math.max(250, Math.floor(reservationTtlMs() / 4)));
// A handle whose usage never reached the writer (it should not happen) stops being renewed after this.
const LIVE_MAX_MS = 24 * 3600_000;

// How long the last HELD_SAMPLES reservations of this instance were held (admission to settlement,
// usage writer flush included): what a refusal for reserved capacity quotes as its Retry-After.
const HELD_SAMPLES = 200;

type State = { timer?: NodeJS.Timeout; live: Map<string, number>; running?: Promise<void>; held: number[]; next: number };
const g = globalThis as typeof globalThis & { __pgQuotaSweeper?: State };
const state: State = (g.__pgQuotaSweeper ??= { live: new Map(), held: [], next: 0 });

export function trackReservation(id: string): void {
  state.live.set(id, Date.now());
}

export function untrackReservations(ids: Iterable<string>): void {
  const t = Date.now();
  for (const id of ids) {
    const since = state.live.get(id);
    if (since === undefined) continue;
    state.live.delete(id);
    state.held[state.next] = t - since;
    state.next = (state.next + 1) % HELD_SAMPLES;
  }
}

/** The given quantile of how long this instance's recent reservations were held, in ms (null before any settled). */
export function heldForMs(quantile: number): number | null {
  if (state.held.length === 0) return null;
  const sorted = [...state.held].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))]!;
}

export function ensureSweeper(): void {
  if (state.timer) return;
  state.timer = setInterval(() => void tick(), sweepMs());
  state.timer.unref?.();
}

export function stopSweeper(): void {
  if (state.timer) clearInterval(state.timer);
  state.timer = undefined;
}

async function tick(): Promise<void> {
  if (state.running) return;
  state.running = (async () => {
    try {
      await renewLive();
      await sweepQuotas();
    } catch (err) {
      logger.warn({ err }, "quota sweep failed; will retry");
    } finally {
      state.running = undefined;
    }
  })();
  await state.running;
}

async function renewLive(): Promise<void> {
  const cutoff = Date.now() - LIVE_MAX_MS;
  for (const [id, at] of state.live) if (at < cutoff) state.live.delete(id);
  if (state.live.size === 0) return;
  await pool().query(`UPDATE "QuotaReservation" SET "expiresAt" = $2 WHERE "id" = ANY($1::uuid[])`, [[...state.live.keys()], new Date(now() + reservationTtlMs())]);
}

/**
 * Gives back a reservation whose call was refused before its answer arrived (admission gave up on a
 * silent database, reserve.ts): it is expired now and swept, like a dead instance's. If this never
 * runs (the process stops first) the reservation still lapses within RESERVATION_TTL_MS + SWEEP_MS.
 */
export function releaseAbandoned(id: string): void {
  void (async () => {
    await pool().query(`UPDATE "QuotaReservation" SET "expiresAt" = to_timestamp(0) WHERE "id" = $1`, [id]);
    await sweepQuotas();
  })().catch((err: unknown) => logger.warn({ err, reservation: id }, "could not release an abandoned quota reservation; it expires on its own"));
}

/** Releases expired reservations and drops long-finished counters. Returns how many reservations were released. */
export async function sweepQuotas(at: number = now()): Promise<number> {
  const { rows } = await pool().query<{ n: number }>(`SELECT quota_sweep($1::timestamptz) AS n`, [new Date(at)]);
  const n = rows[0]?.n ?? 0;
  if (n > 0) logger.warn({ released: n }, "released expired quota reservations (an instance stopped before settling them)");
  return n;
}
