import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";

// lib/config caches the environment on first use, so the keys are set before
// the module is loaded, exactly as an instance starts with them.
const hex = () => randomBytes(32).toString("hex");
const current = hex();
const previous = hex();
let secrets: typeof import("@/lib/secrets");

beforeAll(async () => {
  process.env.DATABASE_URL ??= "postgres://localhost/unused";
  process.env.AUTH_SECRET ??= "x".repeat(32);
  process.env.ENCRYPTION_KEY = current;
  process.env.ENCRYPTION_KEY_PREVIOUS = previous;
  secrets = await import("@/lib/secrets");
});

describe("secret decryption during a key roll", () => {
  it("encrypts under the current key only", () => {
    const ct = secrets.encryptSecret("sk-new");
    expect(secrets.decryptSecret(ct, current)).toBe("sk-new");
    expect(() => secrets.decryptSecret(ct, previous)).toThrow();
  });

  it("reads a secret still under the previous key", () => {
    expect(secrets.decryptSecret(secrets.encryptSecret("sk-old", previous))).toBe("sk-old");
  });

  it("refuses a secret under any other key and a tampered one", () => {
    expect(() => secrets.decryptSecret(secrets.encryptSecret("sk-x", hex()))).toThrow();
    const ct = secrets.encryptSecret("sk-y");
    const raw = Buffer.from(ct.slice(3), "base64");
    raw.writeUInt8(raw.readUInt8(raw.length - 1) ^ 1, raw.length - 1);
    expect(() => secrets.decryptSecret(`v1:${raw.toString("base64")}`)).toThrow();
  });

  it("tries only the key it is given", () => {
    expect(() => secrets.decryptSecret(secrets.encryptSecret("sk-old", previous), current)).toThrow();
    expect(secrets.decryptSecret(secrets.encryptSecret("sk-old", previous), [hex(), previous])).toBe("sk-old");
  });
});
