import "server-only";
import { isIP } from "node:net";
import { Agent, request } from "undici";
import { config } from "@/lib/config";
import { onInvalidate, pool } from "@/lib/db";
import { logger, onShutdown } from "@/lib/observability";
import { guardedLookup } from "@/lib/providers";
import { activeProviderUrlPolicy, addressProblem, providerUrlProblem } from "@/lib/providers/schemas";
import { decryptSecret } from "@/lib/secrets";
import { retryDelayMs } from "./backoff";
import { emailEnabled, EMAIL_EVENT_TYPES, sendAlertEmail } from "./email";
import { slackBody, standardBody, type OutboxRow } from "./payload";
import { webhookHeaders } from "./signing";

// Delivery from the outbox, at least once (README.md beside this file):
// 1. Fan-out: undelivered outbox events become one WebhookDelivery row per matching target (enabled
//    endpoints subscribed to the type, of the event's workspace or instance-wide; "email" for budget
//    alerts when SMTP is configured), and the events are marked dispatched, in ONE statement, so an
//    event is fanned out entirely or not at all. Events are locked FOR UPDATE SKIP LOCKED, and the
//    unique (eventId, target) makes a repeat harmless.
// 2. Claim: due pending rows, FOR UPDATE SKIP LOCKED, are given a lease (nextAttemptAt moves past the
//    attempt's longest possible end) and their attempt counted, in one statement that commits before
//    any HTTP: no lock or connection is held while a receiver answers, and no other instance claims the
//    row until the lease ends. A crash mid-attempt leaves the row pending; it is retried at the lease's end.
// 3. Outcome: written only if the row is still ours (same attempt number): a late answer after the
//    lease passed to another instance changes nothing.

const BATCH = 20;
const FANOUT_BATCH = 500;
const ERROR_MAX = 500;

type Claimed = {
  id: string; eventId: string; endpointId: string | null; target: string; attempts: number; expiresAt: Date;
  type: string; workspaceId: string | null; data: Record<string, unknown>; eventAt: Date;
  url: string | null; secret: string | null; format: string | null; enabled: boolean | null;
};

type Outcome = { ok: true; status: number | null } | { ok: false; status: number | null; error: string; final?: boolean };

const ms = (n: number) => `${n} milliseconds`;

/** The lease of one attempt: longer than the attempt can take (connect + send + answer are each bounded by the timeout). */
export const leaseMs = (): number => 2 * config().WEBHOOK_TIMEOUT_MS + 1_000;

/** Fans out up to FANOUT_BATCH undispatched events; returns how many events were dispatched. */
export async function fanOut(): Promise<number> {
  const { rowCount } = await pool().query(
    `WITH ev AS (
       SELECT id, type, "workspaceId" FROM "OutboxEvent" WHERE "dispatchedAt" IS NULL
        ORDER BY "createdAt" LIMIT $1 FOR UPDATE SKIP LOCKED
     ), ins AS (
       INSERT INTO "WebhookDelivery" ("eventId", "endpointId", target, "expiresAt")
       SELECT ev.id, w.id, w.id::text, now() + $2::interval
         FROM ev JOIN "WebhookEndpoint" w
           ON w.enabled AND ev.type = ANY (w."eventTypes") AND (w."workspaceId" IS NULL OR w."workspaceId" = ev."workspaceId")
       UNION ALL
       SELECT ev.id, NULL, 'email', now() + $2::interval FROM ev WHERE $3::boolean AND ev.type = ANY ($4::text[])
       ON CONFLICT ("eventId", target) DO NOTHING
     )
     UPDATE "OutboxEvent" o SET "dispatchedAt" = now() FROM ev WHERE o.id = ev.id`,
    [FANOUT_BATCH, ms(config().WEBHOOK_RETRY_WINDOW_MS), emailEnabled(), EMAIL_EVENT_TYPES],
  );
  return rowCount ?? 0;
}

async function claim(limit: number): Promise<Claimed[]> {
  const { rows } = await pool().query<Claimed>(
    `WITH due AS (
       SELECT id FROM "WebhookDelivery" WHERE status = 'pending' AND "nextAttemptAt" <= now()
        ORDER BY "nextAttemptAt" LIMIT $1 FOR UPDATE SKIP LOCKED
     ), claimed AS (
       UPDATE "WebhookDelivery" d SET attempts = d.attempts + 1, "lastAttemptAt" = now(), "nextAttemptAt" = now() + $2::interval
         FROM due WHERE d.id = due.id
       RETURNING d.id, d."eventId", d."endpointId", d.target, d.attempts, d."expiresAt"
     )
     SELECT c.*, e.type, e."workspaceId", e.data, e."createdAt" AS "eventAt", w.url, w.secret, w.format, w.enabled
       FROM claimed c JOIN "OutboxEvent" e ON e.id = c."eventId" LEFT JOIN "WebhookEndpoint" w ON w.id = c."endpointId"`,
    [limit, ms(leaseMs())],
  );
  return rows;
}

async function record(c: Claimed, o: Outcome): Promise<void> {
  if (o.ok) {
    await pool().query(
      `UPDATE "WebhookDelivery" SET status = 'delivered', "deliveredAt" = now(), "responseStatus" = $3, "lastError" = NULL, "nextAttemptAt" = now()
        WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [c.id, c.attempts, o.status],
    );
    return;
  }
  const c0 = config();
  const delay = retryDelayMs(c.attempts, c0.WEBHOOK_RETRY_BASE_MS, c0.WEBHOOK_RETRY_MAX_MS);
  // Past the window the delivery fails for good; a person can still redeliver it by hand.
  await pool().query(
    `UPDATE "WebhookDelivery" SET "responseStatus" = $3, "lastError" = $4, "nextAttemptAt" = now() + $5::interval,
            status = CASE WHEN $6::boolean OR now() + $5::interval > "expiresAt" THEN 'failed' ELSE 'pending' END
      WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
    [c.id, c.attempts, o.status, o.error.slice(0, ERROR_MAX), ms(delay), o.final === true],
  );
}

// One agent for every webhook host: its lookup refuses, at connect time, a host any of whose addresses
// the provider URL policy blocks (DNS rebinding after the check at create).
const g = globalThis as typeof globalThis & { __pgWebhookAgent?: Agent };
function agent(): Agent {
  g.__pgWebhookAgent ??= new Agent({ connect: { lookup: guardedLookup(), timeout: config().WEBHOOK_TIMEOUT_MS }, keepAliveTimeout: 10_000 });
  return g.__pgWebhookAgent;
}

async function post(c: Claimed): Promise<Outcome> {
  if (!c.url || !c.secret) return { ok: false, status: null, error: "the endpoint was deleted", final: true };
  if (!c.enabled) return { ok: false, status: null, error: "the endpoint is disabled", final: true };
  const policy = activeProviderUrlPolicy();
  const written = providerUrlProblem(c.url, policy);
  const host = new URL(c.url).hostname.replace(/^\[|\]$/g, "");
  const literal = isIP(host) ? addressProblem(host, policy) : null;
  if (written || literal) return { ok: false, status: null, error: `refused: the URL ${written ?? literal}`, final: true };
  const event: OutboxRow = { id: c.eventId, type: c.type, workspaceId: c.workspaceId, data: c.data, createdAt: c.eventAt };
  const body = c.format === "slack" ? slackBody(event) : standardBody(event);
  const timeout = config().WEBHOOK_TIMEOUT_MS;
  try {
    const res = await request(c.url, {
      method: "POST",
      dispatcher: agent(),
      headers: { "content-type": "application/json", "user-agent": "Promptgate-Webhooks/1", ...webhookHeaders(decryptSecret(c.secret), c.eventId, body) },
      body,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      signal: AbortSignal.timeout(timeout),
    });
    const text = (await res.body.text()).slice(0, 200);
    if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true, status: res.statusCode };
    return { ok: false, status: res.statusCode, error: `HTTP ${res.statusCode}${text ? `: ${text}` : ""}` };
  } catch (err) {
    const e = err as Error & { code?: string; cause?: { code?: string; message?: string } };
    const code = e.code ?? e.cause?.code;
    return { ok: false, status: null, error: `${code ? `${code}: ` : ""}${e.name === "TimeoutError" ? `no answer within ${timeout} ms` : e.message}` };
  }
}

async function attempt(c: Claimed): Promise<void> {
  let outcome: Outcome;
  if (c.target === "email") {
    const event: OutboxRow = { id: c.eventId, type: c.type, workspaceId: c.workspaceId, data: c.data, createdAt: c.eventAt };
    outcome = await sendAlertEmail(event).then(
      () => ({ ok: true as const, status: null }),
      (err: unknown) => ({ ok: false as const, status: null, error: (err as Error).message }),
    );
  } else {
    outcome = await post(c);
  }
  await record(c, outcome);
}

/** One pass: fans out new events, then delivers every due delivery. Returns how many attempts were made. */
export async function deliverDue(): Promise<number> {
  while ((await fanOut()) === FANOUT_BATCH && !worker.stopping);
  let made = 0;
  for (;;) {
    if (worker.stopping) break;
    const batch = await claim(BATCH);
    made += batch.length;
    await Promise.all(batch.map((c) => attempt(c).catch((err: unknown) => logger.warn({ err, delivery: c.id }, "webhook delivery attempt could not be recorded; retried after its lease"))));
    if (batch.length < BATCH) break;
  }
  return made;
}

async function nextDueInMs(): Promise<number | null> {
  const { rows } = await pool().query<{ wait: number | null }>(
    `SELECT GREATEST(0, EXTRACT(EPOCH FROM (min("nextAttemptAt") - now())) * 1000)::float8 AS wait FROM "WebhookDelivery" WHERE status = 'pending'`,
  );
  return rows[0]?.wait ?? null;
}

// ---- the worker ---------------------------------------------------------------------------------

type Worker = { started: boolean; stopping: boolean; running?: Promise<void>; again: boolean; poll?: NodeJS.Timeout; soon?: NodeJS.Timeout };
const w = globalThis as typeof globalThis & { __pgWebhookWorker?: Worker };
const worker: Worker = (w.__pgWebhookWorker ??= { started: false, stopping: false, again: false });

/** Runs a pass now, or right after the one under way. */
export function wakeWebhookWorker(): void {
  if (worker.stopping) return;
  if (worker.running) {
    worker.again = true;
    return;
  }
  worker.running = (async () => {
    do {
      worker.again = false;
      try {
        await deliverDue();
        // A retry due before the next poll: wake for it then.
        const wait = await nextDueInMs();
        if (wait !== null && wait < config().WEBHOOK_POLL_MS && !worker.stopping) {
          clearTimeout(worker.soon);
          worker.soon = setTimeout(wakeWebhookWorker, Math.max(wait, 20));
          worker.soon.unref();
        }
      } catch (err) {
        logger.warn({ err }, "webhook delivery pass failed; will retry");
      }
    } while (worker.again && !worker.stopping);
  })().finally(() => {
    worker.running = undefined;
  });
}

/**
 * Starts delivering in this process (idempotent; instrumentation.ts, unless WEBHOOK_WORKER=false): woken
 * by every outbox insert (trigger OutboxEvent_notify, topic "outbox") and by a poll for due retries and
 * for what a lost notification missed. Every instance may run one: the claims make them take turns.
 */
export function startWebhookWorker(): void {
  if (worker.started || !config().WEBHOOK_WORKER) return;
  worker.started = true;
  worker.stopping = false;
  onInvalidate("outbox", () => wakeWebhookWorker());
  worker.poll = setInterval(wakeWebhookWorker, config().WEBHOOK_POLL_MS);
  worker.poll.unref();
  onShutdown("webhooks", stopWebhookWorker, 15);
  wakeWebhookWorker();
}

/** Stops claiming; an attempt under way finishes (bounded by WEBHOOK_TIMEOUT_MS) and records its outcome. */
export async function stopWebhookWorker(): Promise<void> {
  worker.stopping = true;
  clearInterval(worker.poll);
  clearTimeout(worker.soon);
  await worker.running;
}
