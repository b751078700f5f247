// Instance secrets for self-hosting without any configuration: when AUTH_SECRET
// or ENCRYPTION_KEY is not in the environment, generate it once into
// .data/secrets.json (mode 600) and reuse it on every later start. Rotating
// ENCRYPTION_KEY needs `npm run admin -- rotate-encryption-key`, never an edit here.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export type InstanceSecrets = { AUTH_SECRET: string; ENCRYPTION_KEY: string };

export function ensureInstanceSecrets(file = ".data/secrets.json", env = process.env): InstanceSecrets {
  let stored: Partial<InstanceSecrets> = {};
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, "utf8")) as Partial<InstanceSecrets>;
  const next: InstanceSecrets = {
    AUTH_SECRET: stored.AUTH_SECRET ?? randomBytes(32).toString("base64url"),
    ENCRYPTION_KEY: stored.ENCRYPTION_KEY ?? randomBytes(32).toString("hex"),
  };
  if (next.AUTH_SECRET !== stored.AUTH_SECRET || next.ENCRYPTION_KEY !== stored.ENCRYPTION_KEY) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(next, null, 2) + "\n", { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return {
    AUTH_SECRET: env.AUTH_SECRET ?? next.AUTH_SECRET,
    ENCRYPTION_KEY: env.ENCRYPTION_KEY ?? next.ENCRYPTION_KEY,
  };
}
