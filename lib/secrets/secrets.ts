import "server-only";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { config } from "@/lib/config";

// Secrets at rest (provider API keys, request-signing secrets): AES-256-GCM
// under the instance ENCRYPTION_KEY, stored as "v1:" + base64(iv[12] | tag[16] | ciphertext).
//
// Key rotation without a read outage: instances run with ENCRYPTION_KEY=new and
// ENCRYPTION_KEY_PREVIOUS=old while `npm run admin -- rotate-encryption-key`
// re-encrypts the rows, so every row decrypts whichever key it is under. GCM
// authenticates, so a wrong key fails loudly instead of yielding garbage: that
// failure is what tells us to try the next key.

export function keyBytes(key = config().ENCRYPTION_KEY): Buffer {
  const buf = /^[0-9a-fA-F]{64}$/.test(key) ? Buffer.from(key, "hex") : Buffer.from(key, "base64");
  if (buf.length !== 32) throw new Error("ENCRYPTION_KEY must be 32 bytes");
  return buf;
}

export function encryptSecret(plain: string, key?: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyBytes(key), iv);
  const ct = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return `v1:${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString("base64")}`;
}

function decryptWith(stored: string, key: string): string {
  const raw = Buffer.from(stored.slice(3), "base64");
  const decipher = createDecipheriv("aes-256-gcm", keyBytes(key), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
}

/** The keys a stored secret may be under, newest first. */
export function decryptionKeys(): string[] {
  const c = config();
  return c.ENCRYPTION_KEY_PREVIOUS && c.ENCRYPTION_KEY_PREVIOUS !== c.ENCRYPTION_KEY ? [c.ENCRYPTION_KEY, c.ENCRYPTION_KEY_PREVIOUS] : [c.ENCRYPTION_KEY];
}

/**
 * With `key`, only that key is tried; otherwise ENCRYPTION_KEY, then
 * ENCRYPTION_KEY_PREVIOUS. Throws when the ciphertext was tampered with or no
 * key fits (GCM authenticates).
 */
export function decryptSecret(stored: string, key?: string | string[]): string {
  if (!stored.startsWith("v1:")) throw new Error("unknown secret format");
  const keys = key === undefined ? decryptionKeys() : Array.isArray(key) ? key : [key];
  let last: unknown;
  for (const k of keys) {
    try {
      return decryptWith(stored, k);
    } catch (e) {
      last = e;
    }
  }
  throw last instanceof Error ? last : new Error("cannot decrypt secret");
}

export const last4 = (s: string) => s.slice(-4);
