import "server-only";
import { pool } from "@/lib/db";
import { config } from "@/lib/config";

// Failed sign-ins are counted per IP and per email in fixed windows stored in
// Postgres, so the limit holds across every instance and survives restarts.

export type LoginGate = { allowed: true } | { allowed: false; retryAfterSeconds: number };

function windowStart(now: number, seconds: number): number {
  return Math.floor(now / (seconds * 1000)) * seconds * 1000;
}

// Without a trusted IP only the per-email limit applies: a spoofable IP must not
// let one attacker lock everyone out (or dodge the limit by rotating it).
const keysFor = (email: string, ip: string | null) => [`login:email:${email.trim().toLowerCase()}`, ...(ip ? [`login:ip:${ip}`] : [])];

export async function checkLoginAllowed(email: string, ip: string | null, now = Date.now()): Promise<LoginGate> {
  const { LOGIN_MAX_ATTEMPTS: max, LOGIN_WINDOW_SECONDS: win } = config();
  const start = new Date(windowStart(now, win));
  const { rows } = await pool().query<{ count: number }>(
    `SELECT count FROM "RateLimitBucket" WHERE key = ANY($1) AND "windowStart" = $2`,
    [keysFor(email, ip), start],
  );
  if (rows.some((r) => r.count >= max)) {
    return { allowed: false, retryAfterSeconds: Math.ceil((start.getTime() + win * 1000 - now) / 1000) };
  }
  return { allowed: true };
}

export async function recordLoginFailure(email: string, ip: string | null, now = Date.now()): Promise<void> {
  const win = config().LOGIN_WINDOW_SECONDS;
  const start = new Date(windowStart(now, win));
  const expires = new Date(start.getTime() + win * 1000);
  // One statement per key: a fixed-window counter that resets when the window moves on.
  await pool().query(
    `INSERT INTO "RateLimitBucket" (key, "windowStart", count, "expiresAt")
     SELECT k, $2, 1, $3 FROM unnest($1::text[]) AS k
     ON CONFLICT (key) DO UPDATE SET
       count = CASE WHEN "RateLimitBucket"."windowStart" = EXCLUDED."windowStart" THEN "RateLimitBucket".count + 1 ELSE 1 END,
       "windowStart" = EXCLUDED."windowStart",
       "expiresAt" = EXCLUDED."expiresAt"`,
    [keysFor(email, ip), start, expires],
  );
}

export async function clearLoginFailures(email: string): Promise<void> {
  await pool().query(`DELETE FROM "RateLimitBucket" WHERE key = $1`, [keysFor(email, null)[0]]);
}
