import "server-only";
import { db, publishInvalidation } from "@/lib/db";
import { recordAudit } from "@/lib/audit";
import type { Principal } from "@/lib/core";
import { decryptSecret, encryptSecret, keyBytes } from "@/lib/secrets";
import { reencryptedSettings } from "./header-secrets";

// Re-encrypts every AES-GCM secret at rest under a new key. Each table is one
// transaction with its rows locked (FOR UPDATE), so a concurrent edit can't
// write a row under the old key between our read and our write. Rows already
// under the new key decrypt with it (it is in the key list) and are simply
// re-encrypted, so running the command twice is harmless.

type Table = { name: string; sql: string; update: string };

// Every column written by encryptSecret (and, below, the header values inside
// ProviderAccount.settings). A new one must be added here, or the rotation
// would leave it readable only with a key the operator will drop.
const tables: Table[] = [
  {
    name: "ProviderAccount.secretCiphertext",
    sql: `SELECT id::text AS id, "secretCiphertext" AS ct FROM "ProviderAccount" WHERE "secretCiphertext" IS NOT NULL FOR UPDATE`,
    update: `UPDATE "ProviderAccount" SET "secretCiphertext" = $1 WHERE id = $2::uuid`,
  },
  {
    name: "ApiKeySigning.secretCiphertext",
    sql: `SELECT "apiKeyId"::text AS id, "secretCiphertext" AS ct FROM "ApiKeySigning" FOR UPDATE`,
    update: `UPDATE "ApiKeySigning" SET "secretCiphertext" = $1 WHERE "apiKeyId" = $2::uuid`,
  },
];

export type RotationResult = { table: string; rows: number }[];

/**
 * `oldKeys` are every key a row may currently be under (ENCRYPTION_KEY and
 * ENCRYPTION_KEY_PREVIOUS). Fails without changing a table when any of its rows
 * decrypts under none of them.
 */
export async function rotateEncryptionKey(actor: Principal, newKey: string, oldKeys: string[]): Promise<RotationResult> {
  keyBytes(newKey); // validates before touching anything
  const keys = [...new Set([newKey, ...oldKeys])];
  const result: RotationResult = [];
  for (const t of tables) {
    const rows = await db.$transaction(
      async (tx) => {
        const found = await tx.$queryRawUnsafe<{ id: string; ct: string }[]>(t.sql);
        for (const r of found) {
          let plain: string;
          try {
            plain = decryptSecret(r.ct, keys);
          } catch {
            throw new Error(`${t.name} row ${r.id} decrypts under none of the given keys; nothing in this table was changed`);
          }
          await tx.$executeRawUnsafe(t.update, encryptSecret(plain, newKey), r.id);
        }
        await recordAudit(actor, { action: "encryption_key.rotate", targetType: "secret", targetId: t.name, after: { rows: found.length } }, tx);
        return found.length;
      },
      { timeout: 120_000 },
    );
    result.push({ table: t.name, rows });
  }
  // Header values (header-secrets.ts) are ciphertexts inside a JSON column: the same, one value at a time.
  const name = "ProviderAccount.settings.headers";
  const rows = await db.$transaction(
    async (tx) => {
      const found = await tx.$queryRawUnsafe<{ id: string; settings: unknown }[]>(
        `SELECT id::text AS id, settings FROM "ProviderAccount" WHERE jsonb_typeof(settings->'headers') = 'object' AND settings->'headers' <> '{}'::jsonb FOR UPDATE`,
      );
      for (const r of found) {
        let next: unknown;
        try {
          next = reencryptedSettings(r.settings, keys, newKey);
        } catch {
          throw new Error(`${name} row ${r.id} decrypts under none of the given keys; nothing in this table was changed`);
        }
        if (next) await tx.$executeRawUnsafe(`UPDATE "ProviderAccount" SET settings = $1::jsonb WHERE id = $2::uuid`, JSON.stringify(next), r.id);
      }
      await recordAudit(actor, { action: "encryption_key.rotate", targetType: "secret", targetId: name, after: { rows: found.length } }, tx);
      return found.length;
    },
    { timeout: 120_000 },
  );
  result.push({ table: name, rows });
  // Running instances cache decrypted secrets; make them reload with their key list.
  await Promise.all([publishInvalidation("accounts"), publishInvalidation("keysigning", "*")]);
  return result;
}
