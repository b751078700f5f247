import "server-only";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { config } from "@/lib/config";

// Provider secrets at rest: AES-256-GCM under the instance ENCRYPTION_KEY.
// Stored as "v1:" + base64(iv[12] | tag[16] | ciphertext). The version prefix
// leaves room for key rotation without guessing the format.

function keyBytes(key = config().ENCRYPTION_KEY): Buffer {
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

/** Throws when the ciphertext was tampered with or the key is wrong (GCM authenticates). */
export function decryptSecret(stored: string, key?: string): string {
  if (!stored.startsWith("v1:")) throw new Error("unknown secret format");
  const raw = Buffer.from(stored.slice(3), "base64");
  const decipher = createDecipheriv("aes-256-gcm", keyBytes(key), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
}

export const last4 = (s: string) => s.slice(-4);
