import { spawnSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { applyMigrations } from "@/lib/db/migrate";
import { decryptSecret, encryptSecret } from "@/lib/secrets";
import { createScratchDatabase, MIGRATIONS_DIR, ROOT, type ScratchDatabase } from "../../support/postgres";

// The rotation rewrites every secret in its database, so it runs against a
// scratch database of its own: the shared test database's rows stay under the
// key the other test files use.

const hex = () => randomBytes(32).toString("hex");
const K1 = hex();
const K2 = hex();
const K3 = hex();

// By URL, so the CLI also starts from a directory without node_modules.
const tsx = pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;

function run(args: string[], env: Record<string, string | undefined>, cwd = ROOT) {
  const r = spawnSync(process.execPath, ["--conditions=react-server", "--import", tsx, ...args], {
    cwd,
    env: { ...process.env, LOG_LEVEL: "silent", ENCRYPTION_KEY_PREVIOUS: undefined, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const admin = (env: Record<string, string | undefined>, ...args: string[]) => run([join(ROOT, "scripts/admin.ts"), ...args], env);

let database: ScratchDatabase;
let client: pg.Client;
const providerSecrets = ["sk-provider-one-abcd", "sk-provider-two-wxyz"];
const signingSecret = "whsec-signing-secret-1234";
const headerSecret = "hdr-upstream-token-5678";
const legacyHeader = "legacy-plain-header-9012";

async function ciphertexts(): Promise<string[]> {
  const a = await client.query<{ ct: string }>(`SELECT "secretCiphertext" AS ct FROM "ProviderAccount" WHERE "secretCiphertext" IS NOT NULL ORDER BY name`);
  const s = await client.query<{ ct: string }>(`SELECT "secretCiphertext" AS ct FROM "ApiKeySigning"`);
  return [...a.rows, ...s.rows].map((r) => r.ct);
}

beforeAll(async () => {
  database = await createScratchDatabase(inject("adminDatabaseUrl"), "promptgate_keyrot");
  await applyMigrations({ connectionString: database.url, migrationsDir: MIGRATIONS_DIR, log: () => {} });
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
  for (const [i, secret] of providerSecrets.entries()) {
    await client.query(
      `INSERT INTO "ProviderAccount" (name, provider, "secretCiphertext", "secretLast4", "updatedAt") VALUES ($1, 'openai', $2, $3, now())`,
      [`acct-${i}`, encryptSecret(secret, K1), secret.slice(-4)],
    );
  }
  // An account without a secret must be left alone, not fail the rotation.
  await client.query(`INSERT INTO "ProviderAccount" (name, provider, "updatedAt") VALUES ('acct-nokey', 'simulator', now())`);
  await client.query(`INSERT INTO "ApiKeySigning" ("apiKeyId", "secretCiphertext") VALUES ($1, $2)`, [randomUUID(), encryptSecret(signingSecret, K1)]);
  // Header values are secrets inside a JSON column; one is still legacy plain text.
  await client.query(`INSERT INTO "ProviderAccount" (name, provider, settings, "updatedAt") VALUES ('acct-headers', 'openai', $1, now())`, [
    JSON.stringify({ headers: { "x-upstream-token": encryptSecret(headerSecret, K1), "x-legacy": legacyHeader }, testModel: "m" }),
  ]);
});

afterAll(async () => {
  await client?.end();
  await database?.drop();
});

const plainAll = [...providerSecrets, signingSecret];

describe("rotate-encryption-key", () => {
  it("re-encrypts every provider and signing secret so only the new key opens them", async () => {
    const before = await ciphertexts();
    const r = admin({ DATABASE_URL: database.url, ENCRYPTION_KEY: K1 }, "rotate-encryption-key", "--new-key", K2);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain("Re-encrypted 2 row(s) in ProviderAccount.secretCiphertext");
    expect(r.out).toContain("Re-encrypted 1 row(s) in ApiKeySigning.secretCiphertext");
    expect(r.out).toContain("Re-encrypted 1 row(s) in ProviderAccount.settings.headers");
    expect(r.out).toMatch(/ENCRYPTION_KEY_PREVIOUS/);
    expect(r.out).not.toContain(K2); // the operator chose it; nothing to show
    const after = await ciphertexts();
    expect(after).toHaveLength(3);
    expect(after.every((ct, i) => ct !== before[i])).toBe(true);
    expect(after.map((ct) => decryptSecret(ct, K2))).toEqual(plainAll);
    for (const ct of after) expect(() => decryptSecret(ct, K1)).toThrow();
    const nokey = await client.query(`SELECT "secretCiphertext" FROM "ProviderAccount" WHERE name = 'acct-nokey'`);
    expect(nokey.rows[0].secretCiphertext).toBeNull();
    const audit = await client.query<{ targetId: string; after: { rows: number } }>(
      `SELECT "targetId", "after" FROM "AuditLog" WHERE action = 'encryption_key.rotate' AND "actorEmail" = 'system:cli' ORDER BY "targetId"`,
    );
    expect(audit.rows).toEqual([
      { targetId: "ApiKeySigning.secretCiphertext", after: { rows: 1 } },
      { targetId: "ProviderAccount.secretCiphertext", after: { rows: 2 } },
      { targetId: "ProviderAccount.settings.headers", after: { rows: 1 } },
    ]);
  });

  it("security #13.4: re-encrypts account header values under the new key, sealing a legacy plain-text one", async () => {
    const { rows } = await client.query<{ settings: { headers: Record<string, string>; testModel: string } }>(
      `SELECT settings FROM "ProviderAccount" WHERE name = 'acct-headers'`,
    );
    const { headers, testModel } = rows[0]!.settings;
    expect(testModel).toBe("m");
    expect(decryptSecret(headers["x-upstream-token"]!, K2)).toBe(headerSecret);
    expect(decryptSecret(headers["x-legacy"]!, K2)).toBe(legacyHeader);
    expect(() => decryptSecret(headers["x-upstream-token"]!, K1)).toThrow();
  });

  it("lets an instance holding the new key and the previous one read rows under either, mid-rotation", async () => {
    // Half-rotated state: one row already under K3, the others still under K2.
    const rows = await client.query<{ id: string; ct: string }>(`SELECT id, "secretCiphertext" AS ct FROM "ProviderAccount" WHERE name = 'acct-0'`);
    await client.query(`UPDATE "ProviderAccount" SET "secretCiphertext" = $1 WHERE id = $2`, [encryptSecret(providerSecrets[0]!, K3), rows.rows[0]!.id]);
    // A separate process, so the module reads its keys from the environment as an instance does.
    const read = async (env: Record<string, string | undefined>) => {
      const reader = `
        const { decryptSecret } = await import(${JSON.stringify(join(ROOT, "lib/secrets/index.ts"))});
        const out = [];
        for (const ct of ${JSON.stringify(await ciphertexts())}) { try { out.push(decryptSecret(ct)); } catch { out.push(null); } }
        process.stdout.write(JSON.stringify(out));`;
      const r = run(["--input-type=module", "-e", reader], { AUTH_SECRET: "x".repeat(32), DATABASE_URL: database.url, ...env });
      expect(r.err).toBe("");
      return JSON.parse(r.out) as (string | null)[];
    };
    expect(await read({ ENCRYPTION_KEY: K3, ENCRYPTION_KEY_PREVIOUS: K2 })).toEqual(plainAll);
    // Without the previous key the not-yet-rotated rows are unreadable: the fallback is what keeps reads up.
    expect(await read({ ENCRYPTION_KEY: K3 })).toEqual([providerSecrets[0], null, null]);

    const r = admin({ DATABASE_URL: database.url, ENCRYPTION_KEY: K3, ENCRYPTION_KEY_PREVIOUS: K2 }, "rotate-encryption-key", "--new-key", K3);
    expect(r.code).toBe(0);
    expect(await read({ ENCRYPTION_KEY: K3 })).toEqual(plainAll);
  });

  it("changes nothing when a row is under none of the known keys", async () => {
    const before = await ciphertexts();
    const r = admin({ DATABASE_URL: database.url, ENCRYPTION_KEY: K1 }, "rotate-encryption-key", "--new-key", hex());
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/decrypts under none of the given keys/);
    expect(await ciphertexts()).toEqual(before);
  });

  it("generates, prints once and stores the key in .data/secrets.json when the key came from that file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pg-keyrot-"));
    try {
      mkdirSync(join(dir, ".data"));
      symlinkSync(join(ROOT, "prisma"), join(dir, "prisma")); // the CLI migrates from ./prisma/migrations
      const auth = randomBytes(32).toString("base64url");
      writeFileSync(join(dir, ".data/secrets.json"), JSON.stringify({ AUTH_SECRET: auth, ENCRYPTION_KEY: K3 }));
      const r = run([join(ROOT, "scripts/admin.ts"), "rotate-encryption-key"], { DATABASE_URL: database.url, ENCRYPTION_KEY: undefined, TSX_TSCONFIG_PATH: join(ROOT, "tsconfig.json") }, dir);
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      const key = /New ENCRYPTION_KEY \(shown once\): ([0-9a-f]{64})/.exec(r.out)?.[1];
      expect(key).toBeTruthy();
      expect(JSON.parse(readFileSync(join(dir, ".data/secrets.json"), "utf8"))).toEqual({ AUTH_SECRET: auth, ENCRYPTION_KEY: key });
      expect((await ciphertexts()).map((ct) => decryptSecret(ct, key!))).toEqual(plainAll);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
