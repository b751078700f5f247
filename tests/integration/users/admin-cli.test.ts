import { afterAll, describe, expect, it } from "vitest";
import { closeDb, db } from "@/lib/db";
import { verifyApiKey } from "@/lib/auth/api-keys";
import { authenticate } from "@/lib/users";
import { adminCli, adminCliWithInput } from "../../support/cli";

const admin = adminCli;

describe("admin CLI", () => {
  afterAll(closeDb);
  const email = `cli-${Date.now()}@x.test`;

  it("creates a user with a generated password printed once", async () => {
    const r = admin("users", "create", "--email", email, "--role", "editor");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const password = /Password \(shown once\): (\S+)/.exec(r.out)?.[1];
    expect(password).toBeTruthy();
    expect(await authenticate(email, password!)).toMatchObject({ role: "editor" });
    const audit = await db.auditLog.findFirst({ where: { action: "user.create", actorEmail: "system:cli" }, orderBy: { createdAt: "desc" } });
    expect(audit?.after).toMatchObject({ email });
  });

  it("sets a user's password, printing a generated one once", async () => {
    const r = admin("users", "set-password", "--email", email);
    expect(r.code).toBe(0);
    const password = /Password \(shown once\): (\S+)/.exec(r.out)?.[1];
    expect(password).toBeTruthy();
    expect(await authenticate(email, password!)).toMatchObject({ role: "editor" });
    const chosen = admin("users", "set-password", "--email", email, "--password", "a chosen one 123");
    expect(chosen.code).toBe(0);
    expect(chosen.out).not.toContain("shown once");
    expect(await authenticate(email, "a chosen one 123")).toMatchObject({ role: "editor" });
    // From standard input, out of the process list.
    const piped = adminCliWithInput("read from stdin 42\n", "users", "set-password", "--email", email, "--password", "-");
    expect(piped.code).toBe(0);
    expect(await authenticate(email, "read from stdin 42")).toMatchObject({ role: "editor" });
    const user = await db.user.findUniqueOrThrow({ where: { email } });
    expect(await db.auditLog.count({ where: { action: "user.password.reset", actorEmail: "system:cli", targetId: user.id } })).toBe(3);
  });

  it("creates a key with scopes and a relative expiry", async () => {
    const r = admin("keys", "create", "--name", "cli-key", "--scopes", "completions,admin", "--expires", "30d");
    expect(r.code).toBe(0);
    const key = /Key \(shown once\): (\S+)/.exec(r.out)?.[1];
    const check = await verifyApiKey(key!);
    expect(check.ok && check.principal.kind === "apiKey" && check.principal.key.scopes).toEqual(["completions", "admin"]);
    const row = await db.apiKey.findFirstOrThrow({ where: { name: "cli-key" } });
    const days = (row.expiresAt!.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThan(30.1);
  });

  it("lists and revokes keys by prefix", async () => {
    const created = admin("keys", "create", "--name", "cli-revoke");
    const key = /Key \(shown once\): (\S+)/.exec(created.out)![1]!;
    expect(admin("keys", "list").out).toContain(key.slice(0, 12));
    const r = admin("keys", "revoke", key.slice(0, 12));
    expect(r.code).toBe(0);
    const row = await db.apiKey.findFirstOrThrow({ where: { prefix: key.slice(0, 12) } });
    expect(row.revokedAt).not.toBeNull();
  });

  it("fails clearly on bad input", () => {
    const r = admin("users", "create", "--email", "nope", "--role", "root");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--email: must be a valid email address/);
    expect(r.err).toMatch(/--role:/);
    const u = admin("frobnicate");
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/Unknown command/);
  });
});
