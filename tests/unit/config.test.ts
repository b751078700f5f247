import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "@/lib/config";

const valid = {
  DATABASE_URL: "postgresql://u:p@localhost:5432/db",
  AUTH_SECRET: "x".repeat(32),
  ENCRYPTION_KEY: "ab".repeat(32),
};

describe("config", () => {
  it("accepts a complete environment and applies defaults", () => {
    const c = parseConfig(valid);
    expect(c.DATABASE_POOL_SIZE).toBe(10);
    expect(c.MAX_BODY_BYTES).toBe(1_048_576);
    expect(c.AUTH_TRUST_HOST).toBe(true);
  });

  it("lists every missing or invalid variable in one error", () => {
    let err: unknown;
    try {
      parseConfig({ DATABASE_URL: "mysql://nope", ENCRYPTION_KEY: "short", DATABASE_POOL_SIZE: "0" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues;
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^DATABASE_URL: must be a postgres/),
        "AUTH_SECRET: is required",
        expect.stringMatching(/^ENCRYPTION_KEY: must be 32 bytes/),
        expect.stringMatching(/^DATABASE_POOL_SIZE:/),
      ]),
    );
    expect((err as Error).message.split("\n")).toHaveLength(issues.length + 1);
  });

  it("parses booleans and numbers from strings", () => {
    const c = parseConfig({ ...valid, AUTH_TRUST_HOST: "false", MAX_BODY_BYTES: "2048" });
    expect(c.AUTH_TRUST_HOST).toBe(false);
    expect(c.MAX_BODY_BYTES).toBe(2048);
  });

  it("faults #14.5: bounds the wait for reserved quota capacity (default 1 s, 0 refuses at once)", () => {
    expect(parseConfig(valid).QUOTA_RESERVED_WAIT_MS).toBe(1000);
    expect(parseConfig({ ...valid, QUOTA_RESERVED_WAIT_MS: "0" }).QUOTA_RESERVED_WAIT_MS).toBe(0);
    expect(() => parseConfig({ ...valid, QUOTA_RESERVED_WAIT_MS: "60000" })).toThrow(/QUOTA_RESERVED_WAIT_MS/);
  });
});
