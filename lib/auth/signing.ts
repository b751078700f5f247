import "server-only";
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { db, isUuid, onInvalidate, pool, publishInvalidation } from "@/lib/db";
import { withAudit } from "@/lib/audit";
import { decryptSecret, encryptSecret } from "@/lib/accounts";
import { AppError, notFound } from "@/lib/core";
import { config } from "@/lib/config";
import { logger } from "@/lib/observability";
import { workspaceOf, type Principal } from "@/lib/core";

// Optional per-key HMAC request signing. A key with signing enabled must send
//   x-promptgate-timestamp: <unix seconds>
//   x-promptgate-signature: hex(HMAC-SHA256(secret, METHOD \n PATH \n TIMESTAMP \n hex(SHA-256(body))))
// where PATH is the path with its query string. Requests more than 5 minutes
// from the server's clock are refused, and each signature is accepted once
// (a row in SignatureNonce; the one database round trip signing costs).

export const SIGNATURE_WINDOW_SECONDS = 300;
export const TIMESTAMP_HEADER = "x-promptgate-timestamp";
export const SIGNATURE_HEADER = "x-promptgate-signature";

export const sha256Hex = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

export function signingPayload(method: string, path: string, timestamp: string, bodySha256: string): string {
  return `${method.toUpperCase()}\n${path}\n${timestamp}\n${bodySha256}`;
}

/** The signature a client sends (also what the README's Node example computes). */
export function signRequest(secret: string, method: string, path: string, timestamp: string, body: string | Uint8Array = ""): string {
  return createHmac("sha256", secret).update(signingPayload(method, path, timestamp, sha256Hex(body))).digest("hex");
}

// --- per-key secrets, cached like the keys themselves -----------------------

type State = { secrets: Map<string, string>; at: number; loading: Promise<void> | null; listening: boolean; loadedOnce: boolean };
const g = globalThis as typeof globalThis & { __promptgateSigning?: State };
const state: State = (g.__promptgateSigning ??= { secrets: new Map(), at: 0, loading: null, listening: false, loadedOnce: false });

function load(): Promise<void> {
  state.loading ??= (async () => {
    try {
      const rows = await db.apiKeySigning.findMany();
      const next = new Map<string, string>();
      for (const r of rows) {
        try {
          next.set(r.apiKeyId, decryptSecret(r.secretCiphertext));
        } catch {
          // Fail closed: an undecryptable secret still requires signing, and no signature can match it.
          next.set(r.apiKeyId, "");
          logger.error({ apiKeyId: r.apiKeyId }, "cannot decrypt a request-signing secret; that key's requests will be refused");
        }
      }
      state.secrets = next;
      state.at = Date.now();
      state.loadedOnce = true;
    } finally {
      state.loading = null;
    }
  })();
  return state.loading;
}

async function signingSecretFor(apiKeyId: string): Promise<string | null> {
  if (!state.listening) {
    state.listening = true;
    onInvalidate("keysigning", () => {
      state.at = 0;
    });
  }
  if (state.at === 0) {
    await load().catch((err: unknown) => {
      if (!state.loadedOnce) throw new AppError("service_unavailable", "Request-signing settings are not available yet; try again shortly");
      logger.warn({ err }, "could not reload request-signing settings; serving the previous ones");
    });
  } else if (Date.now() - state.at > config().API_KEY_CACHE_TTL_MS) {
    load().catch((err: unknown) => logger.warn({ err }, "could not refresh request-signing settings"));
  }
  return state.secrets.get(apiKeyId) ?? null;
}

function constantTimeHexEqual(a: string, b: string): boolean {
  if (!/^[0-9a-f]{64}$/i.test(a) || b.length !== 64) return false;
  return timingSafeEqual(Buffer.from(a.toLowerCase(), "hex"), Buffer.from(b, "hex"));
}

/** SHA-256 of the body, read from a clone with the same byte limit as the JSON reader. */
async function bodyHash(req: Request, maxBytes: number): Promise<string> {
  const h = createHash("sha256");
  const body = req.clone().body;
  if (!body) return h.digest("hex");
  const reader = body.getReader();
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new AppError("payload_too_large", `Request body exceeds the limit of ${maxBytes} bytes`);
    }
    h.update(value);
  }
  return h.digest("hex");
}

let lastSweep = 0;

/**
 * Checks the request's signature when the calling key has signing enabled;
 * does nothing (and costs one Map lookup) for keys without it.
 */
export async function verifyRequestSignature(req: Request, principal: Principal, now = Date.now()): Promise<void> {
  if (principal.kind !== "apiKey" || !principal.key.id) return;
  const secret = await signingSecretFor(principal.key.id);
  if (secret === null) return;
  const ts = req.headers.get(TIMESTAMP_HEADER);
  const sig = req.headers.get(SIGNATURE_HEADER);
  if (!ts || !sig) {
    throw new AppError("unauthorized", `This API key requires signed requests: send ${TIMESTAMP_HEADER} and ${SIGNATURE_HEADER}`);
  }
  if (!/^\d{1,12}$/.test(ts)) throw new AppError("unauthorized", `${TIMESTAMP_HEADER} must be a Unix time in seconds`);
  if (Math.abs(now / 1000 - Number(ts)) > SIGNATURE_WINDOW_SECONDS) {
    throw new AppError("unauthorized", `The request signature has expired or is from the future: ${TIMESTAMP_HEADER} must be within ${SIGNATURE_WINDOW_SECONDS / 60} minutes of the server's clock`);
  }
  const url = new URL(req.url);
  const expected = createHmac("sha256", secret)
    .update(signingPayload(req.method, url.pathname + url.search, ts, await bodyHash(req, config().MAX_BODY_BYTES)))
    .digest("hex");
  if (!secret || !constantTimeHexEqual(sig.trim(), expected)) throw new AppError("unauthorized", "The request signature does not match");
  // Replay protection: the signature is accepted once within its window.
  const expiresAt = new Date((Number(ts) + SIGNATURE_WINDOW_SECONDS) * 1000 + 60_000);
  const { rowCount } = await pool().query(
    `INSERT INTO "SignatureNonce" ("signature", "expiresAt") VALUES ($1, $2) ON CONFLICT ("signature") DO NOTHING`,
    [expected, expiresAt],
  );
  if (rowCount === 0) throw new AppError("unauthorized", "This signed request was already used (replay refused); sign each request anew");
  if (now - lastSweep > 60_000) {
    lastSweep = now;
    pool()
      .query(`DELETE FROM "SignatureNonce" WHERE "expiresAt" < now()`)
      .catch((err: unknown) => logger.warn({ err }, "could not sweep expired signatures"));
  }
}

// --- management ---------------------------------------------------------------

export async function signingEnabled(apiKeyId: string): Promise<boolean> {
  return (await db.apiKeySigning.count({ where: { apiKeyId } })) > 0;
}

/** Enables signing with a fresh secret (or replaces it); the secret is returned once. */
export async function enableSigning(actor: Principal, apiKeyId: string, ip?: string | null): Promise<{ secret: string }> {
  const secret = `pgs_${randomBytes(32).toString("base64url")}`;
  await withAudit(actor, { action: "apikey.signing.enable", targetType: "apiKey", ip }, async (tx) => {
    const key = isUuid(apiKeyId) ? await tx.apiKey.findFirst({ where: { id: apiKeyId, workspaceId: workspaceOf(actor) }, select: { id: true } }) : null;
    if (!key) throw notFound("API key");
    const secretCiphertext = encryptSecret(secret);
    const before = await tx.apiKeySigning.findUnique({ where: { apiKeyId }, select: { createdAt: true } });
    await tx.apiKeySigning.upsert({ where: { apiKeyId }, create: { apiKeyId, secretCiphertext }, update: { secretCiphertext, createdAt: new Date() } });
    return { result: null, targetId: apiKeyId, before: { signing: !!before }, after: { signing: true, secretRotated: !!before } };
  });
  await invalidate();
  return { secret };
}

export async function disableSigning(actor: Principal, apiKeyId: string, ip?: string | null): Promise<void> {
  await withAudit(actor, { action: "apikey.signing.disable", targetType: "apiKey", ip }, async (tx) => {
    const key = isUuid(apiKeyId) ? await tx.apiKey.findFirst({ where: { id: apiKeyId, workspaceId: workspaceOf(actor) }, select: { id: true } }) : null;
    if (!key) throw notFound("API key");
    const deleted = await tx.apiKeySigning.deleteMany({ where: { apiKeyId } });
    return { result: null, targetId: apiKeyId, before: { signing: deleted.count > 0 }, after: { signing: false } };
  });
  await invalidate();
}

async function invalidate() {
  state.at = 0;
  await load().catch(() => {});
  await publishInvalidation("keysigning", "*").catch((err: unknown) => logger.warn({ err }, "could not publish signing change"));
}

/** Drops the cached secrets (after re-encryption, for example). */
export function forgetSigningSecrets() {
  state.at = 0;
}
