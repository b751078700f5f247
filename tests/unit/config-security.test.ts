import { describe, expect, it } from "vitest";
import { parseConfig } from "@/lib/config";

const base = { DATABASE_URL: "postgres://localhost/x", AUTH_SECRET: "x".repeat(32), ENCRYPTION_KEY: "a".repeat(64) };

describe("security settings in the environment", () => {
  it("defaults to no previous key and the allow-private URL policy", () => {
    const c = parseConfig(base);
    expect(c.ENCRYPTION_KEY_PREVIOUS).toBeUndefined();
    expect(c.PROVIDER_URL_POLICY).toBe("allow-private");
  });

  it("treats an empty ENCRYPTION_KEY_PREVIOUS as unset and accepts a 32-byte key", () => {
    expect(parseConfig({ ...base, ENCRYPTION_KEY_PREVIOUS: "" }).ENCRYPTION_KEY_PREVIOUS).toBeUndefined();
    expect(parseConfig({ ...base, ENCRYPTION_KEY_PREVIOUS: "b".repeat(64) }).ENCRYPTION_KEY_PREVIOUS).toBe("b".repeat(64));
  });

  it("refuses a malformed previous key and an unknown URL policy at start-up", () => {
    expect(() => parseConfig({ ...base, ENCRYPTION_KEY_PREVIOUS: "short" })).toThrow(/ENCRYPTION_KEY_PREVIOUS/);
    expect(() => parseConfig({ ...base, PROVIDER_URL_POLICY: "none" })).toThrow(/PROVIDER_URL_POLICY/);
    expect(parseConfig({ ...base, PROVIDER_URL_POLICY: "public-only" }).PROVIDER_URL_POLICY).toBe("public-only");
  });
});
