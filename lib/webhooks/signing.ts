import "server-only";
import { createHmac, randomBytes } from "node:crypto";

// Standard Webhooks (standardwebhooks.com): the secret is "whsec_" + base64 of 24 random bytes, the
// HMAC key is those bytes, and the signature is "v1," + base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)),
// timestamp in Unix seconds. Any Standard Webhooks verifier (or the README's snippet) checks it.

export const SECRET_PREFIX = "whsec_";

export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(24).toString("base64");
}

export function signatureFor(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

/** The three headers of one attempt; the timestamp is the attempt's, so a retry is signed afresh. */
export function webhookHeaders(secret: string, id: string, body: string, now = Date.now()): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  return { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": signatureFor(secret, id, timestamp, body) };
}
