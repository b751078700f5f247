import "server-only";
import { pool } from "@/lib/db";
import { config } from "@/lib/config";
import { logger } from "@/lib/observability";

// Sign-in attempts are counted per IP and per email in fixed windows stored in
// Postgres, so the limit holds across every instance and survives restarts.
// An attempt is counted before its password is checked, in the one statement
// that also returns the new count: N parallel guesses get the counts 1..N, and
// only those within the limit are checked. Checking first and counting after
// would let every guess of a burst pass the check while bcrypt ran.

export type LoginGate = { allowed: true; windowStart: Date } | { allowed: false; retryAfterSeconds: number };

function windowStart(now: number, seconds: number): number {
  return Math.floor(now / (seconds * 1000)) * seconds * 1000;
}

// Without a trusted IP only the per-email limit applies: a spoofable IP must not
// let one attacker lock everyone out (or dodge the limit by rotating it).
const emailKey = (email: string) => `login:email:${email.trim().toLowerCase()}`;
const keysFor = (email: string, ip: string | null) => [emailKey(email), ...(ip ? [`login:ip:${ip}`] : [])];

/**
 * Counts one attempt for the email (and the IP, when trusted) and says whether it
 * may go on to a password check. Refused attempts count too, so a window that
 * ran out stays out until it ends.
 */
export async function admitLoginAttempt(email: string, ip: string | null, now = Date.now()): Promise<LoginGate> {
  ensureBucketSweeper();
  const { LOGIN_MAX_ATTEMPTS: max, LOGIN_WINDOW_SECONDS: win } = config();
  const start = new Date(windowStart(now, win));
  // A counter moves to a new window when the attempt's is later than the stored
  // one; an attempt stamped with an older window (a lagging clock on another
  // instance) counts into the newer one instead of resetting it.
  const { rows } = await pool().query<{ count: number; windowStart: Date }>(
    `INSERT INTO "RateLimitBucket" AS b (key, "windowStart", count, "expiresAt")
     SELECT k, $2, 1, $3 FROM unnest($1::text[]) AS k
     ON CONFLICT (key) DO UPDATE SET
       count = CASE WHEN b."windowStart" >= EXCLUDED."windowStart" THEN b.count + 1 ELSE 1 END,
       "windowStart" = GREATEST(b."windowStart", EXCLUDED."windowStart"),
       "expiresAt" = GREATEST(b."expiresAt", EXCLUDED."expiresAt")
     RETURNING count, "windowStart"`,
    [keysFor(email, ip), start, new Date(start.getTime() + win * 1000)],
  );
  const over = rows.filter((r) => r.count > max);
  if (over.length === 0) return { allowed: true, windowStart: start };
  const ends = Math.max(...over.map((r) => r.windowStart.getTime())) + win * 1000;
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((ends - now) / 1000)) };
}

/**
 * Takes back an admitted attempt that was no guess: the hasher was busy and no
 * password was checked, or the password was right. Only within the window it
 * was counted in, and never below zero.
 */
export async function releaseLoginAttempt(email: string, ip: string | null, gate: LoginGate & { allowed: true }): Promise<void> {
  await pool().query(`UPDATE "RateLimitBucket" SET count = count - 1 WHERE key = ANY($1) AND "windowStart" = $2 AND count > 0`, [keysFor(email, ip), gate.windowStart]);
}

/** After a successful sign-in: the email starts afresh, and the attempt does not count against the IP. */
export async function settleSuccessfulSignIn(email: string, ip: string | null, gate: LoginGate & { allowed: true }): Promise<void> {
  await clearLoginFailures(email);
  if (ip) await pool().query(`UPDATE "RateLimitBucket" SET count = count - 1 WHERE key = $1 AND "windowStart" = $2 AND count > 0`, [`login:ip:${ip}`, gate.windowStart]);
}

export async function clearLoginFailures(email: string): Promise<void> {
  await pool().query(`DELETE FROM "RateLimitBucket" WHERE key = $1`, [emailKey(email)]);
}

// --- sweeping ---------------------------------------------------------------
// Every email tried (made-up ones too) leaves a bucket row. A row past its
// window's end counts nothing (the next attempt starts the count afresh), so the
// sweeper deletes those. It starts with the first sign-in attempt, never at
// import (a build imports modules too), and runs at once, then every
// SWEEP_EVERY_MS; any instance's sweep serves them all.

const SWEEP_EVERY_MS = 5 * 60_000;
type SweepState = { timer?: NodeJS.Timeout; running?: Promise<void> };
const g = globalThis as typeof globalThis & { __pgLoginSweeper?: SweepState };
const sweeper: SweepState = (g.__pgLoginSweeper ??= {});

export function ensureBucketSweeper(): void {
  if (sweeper.timer) return;
  sweeper.timer = setInterval(() => void sweepTick(), SWEEP_EVERY_MS);
  sweeper.timer.unref?.();
  setImmediate(() => void sweepTick());
}

export function stopBucketSweeper(): void {
  if (sweeper.timer) clearInterval(sweeper.timer);
  sweeper.timer = undefined;
}

async function sweepTick(): Promise<void> {
  sweeper.running ??= sweepRateLimitBuckets()
    .then(() => {})
    .catch((err: unknown) => logger.warn({ err }, "sign-in limit sweep failed; will retry"))
    .finally(() => {
      sweeper.running = undefined;
    });
  await sweeper.running;
}

/** Deletes the buckets whose window has ended. Returns how many. */
export async function sweepRateLimitBuckets(now = Date.now()): Promise<number> {
  const { rowCount } = await pool().query(`DELETE FROM "RateLimitBucket" WHERE "expiresAt" <= $1`, [new Date(now)]);
  return rowCount ?? 0;
}
