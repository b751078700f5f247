import { afterAll, describe, expect, it, vi } from "vitest";
import { config } from "@/lib/config";
import { closeDb, db } from "@/lib/db";
import { activeUser, authenticate, changeOwnPassword, createUser, endOwnSessions, insertUser, resetUserPassword, setUserDisabled, setUserRole } from "@/lib/users";

const system = { kind: "system", name: "test" } as const;
const uniq = () => `${Date.now()}-${Math.random().toString(36).slice(2, 7)}`;

describe("users", () => {
  afterAll(closeDb);

  it("hashes passwords with bcrypt at cost ≥ 10 and authenticates", async () => {
    const email = `u-${uniq()}@x.test`;
    await createUser(system, { email, name: "U", role: "editor", password: "correct horse battery" });
    const row = await db.user.findUniqueOrThrow({ where: { email } });
    expect(row.passwordHash).toMatch(/^\$2[aby]\$(1[0-9]|[2-3][0-9])\$/);
    expect(await authenticate(email.toUpperCase(), "correct horse battery")).toMatchObject({ email, role: "editor" });
    expect(await authenticate(email, "wrong password!")).toBeNull();
  });

  it("refuses sign-in to a disabled user", async () => {
    const email = `d-${uniq()}@x.test`;
    const u = await createUser(system, { email, name: "D", role: "viewer", password: "password1234" });
    await setUserDisabled(system, { id: u.id, disabled: true });
    expect(await authenticate(email, "password1234")).toBeNull();
  });

  it("rejects a duplicate email with 409 and writes no audit entry", async () => {
    const email = `dup-${uniq()}@x.test`;
    await createUser(system, { email, name: "A", role: "viewer", password: "password1234" });
    const before = await db.auditLog.count({ where: { action: "user.create" } });
    await expect(createUser(system, { email, name: "B", role: "viewer", password: "password1234" })).rejects.toMatchObject({ code: "P2002" });
    expect(await db.auditLog.count({ where: { action: "user.create" } })).toBe(before);
  });

  it("keeps at least one active admin", async () => {
    // Demote every other admin so the one we create is the last.
    const admin = await insertUser({ email: `last-${uniq()}@x.test`, name: "Last", role: "admin", password: "password1234" });
    // Admin of the instance is the flag since workspaces (role "admin" alone no longer makes one).
    await db.user.updateMany({ where: { OR: [{ role: "admin" }, { instanceAdmin: true }], id: { not: admin.id } }, data: { role: "editor", instanceAdmin: false } });
    await expect(setUserRole(system, { id: admin.id, role: "viewer" })).rejects.toMatchObject({ code: "conflict" });
    await expect(setUserDisabled(system, { id: admin.id, disabled: true })).rejects.toMatchObject({ code: "conflict" });
    expect((await db.user.findUniqueOrThrow({ where: { id: admin.id } })).role).toBe("admin");
  });

  it("audits role changes with before and after", async () => {
    const u = await createUser(system, { email: `r-${uniq()}@x.test`, name: "R", role: "viewer", password: "password1234" });
    await setUserRole(system, { id: u.id, role: "editor" });
    const entry = await db.auditLog.findFirstOrThrow({ where: { targetId: u.id, action: "user.role" } });
    expect(entry.before).toEqual({ role: "viewer" });
    expect(entry.after).toEqual({ role: "editor" });
  });

  it("changes one's own password only with the current one, ends older sessions, and audits no secret", async () => {
    const email = `pw-${uniq()}@x.test`;
    const u = await createUser(system, { email, name: "P", role: "editor", password: "first password 1" });
    const me = { kind: "user", user: { id: u.id, email, name: "P", role: "editor" } } as const;
    const signedIn = (await authenticate(email, "first password 1"))!.sessionVersion;
    await expect(changeOwnPassword(me, { currentPassword: "not it at all", newPassword: "second password 2" })).rejects.toMatchObject({ code: "validation_error", details: { param: "currentPassword" } });
    await expect(changeOwnPassword(me, { currentPassword: "first password 1", newPassword: "short" })).rejects.toMatchObject({ name: "ZodError" });
    await expect(changeOwnPassword(me, { currentPassword: "first password 1", newPassword: "first password 1" })).rejects.toMatchObject({ name: "ZodError" });
    expect(await activeUser(u.id, signedIn)).toMatchObject({ email }); // nothing changed yet
    await expect(changeOwnPassword(system, { currentPassword: "first password 1", newPassword: "second password 2" })).rejects.toMatchObject({ code: "forbidden" });

    await changeOwnPassword(me, { currentPassword: "first password 1", newPassword: "second password 2" });
    expect(await authenticate(email, "first password 1")).toBeNull();
    const fresh = await authenticate(email, "second password 2");
    expect(fresh).toMatchObject({ email, sessionVersion: signedIn + 1 });
    // The session from before the change is over (so is one issued before versions existed); a new sign-in works.
    expect(await activeUser(u.id, signedIn)).toBeNull();
    expect(await activeUser(u.id, undefined)).toBeNull();
    expect(await activeUser(u.id, fresh!.sessionVersion)).toMatchObject({ email });
    const entry = await db.auditLog.findFirstOrThrow({ where: { targetId: u.id, action: "user.password.change" } });
    expect(entry.actorId).toBe(u.id);
    const row = await db.user.findUniqueOrThrow({ where: { id: u.id } });
    expect(JSON.stringify(entry)).not.toContain(row.passwordHash);
    expect(JSON.stringify(entry)).not.toContain("second password 2");
  });

  it("counts wrong current passwords against the account's sign-in limit", async () => {
    const email = `guess-${uniq()}@x.test`;
    const u = await createUser(system, { email, name: "G", role: "viewer", password: "the real one 123" });
    const me = { kind: "user", user: { id: u.id, email, name: "G", role: "viewer" } } as const;
    const { LOGIN_MAX_ATTEMPTS: max, LOGIN_WINDOW_SECONDS: window } = config();
    // The limit counts in fixed windows: start the guesses just after one opens, so they cannot straddle two.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Math.ceil(Date.now() / (window * 1000)) * window * 1000 + 1000);
    try {
      const codes: string[] = [];
      for (let i = 0; i < max + 2; i++) {
        codes.push(await changeOwnPassword(me, { currentPassword: `guess number ${i}`, newPassword: "attacker's choice 1" }).then(() => "changed", (e: { code: string }) => e.code));
      }
      // LOGIN_MAX_ATTEMPTS wrong guesses, then refused before any compare, even with the right password.
      expect(codes).toEqual([...Array(max).fill("validation_error"), "rate_limit_exceeded", "rate_limit_exceeded"]);
      await expect(changeOwnPassword(me, { currentPassword: "the real one 123", newPassword: "attacker's choice 1" })).rejects.toMatchObject({ code: "rate_limit_exceeded" });
    } finally {
      vi.useRealTimers();
    }
    expect(await authenticate(email, "the real one 123")).toMatchObject({ email });
  });

  it("ends all of one's own sessions only when asked explicitly, keeping the password", async () => {
    const email = `end-${uniq()}@x.test`;
    const u = await createUser(system, { email, name: "E", role: "viewer", password: "stays the same 1" });
    const me = { kind: "user", user: { id: u.id, email, name: "E", role: "viewer" } } as const;
    const signedIn = (await authenticate(email, "stays the same 1"))!.sessionVersion;
    await expect(endOwnSessions(me, {})).rejects.toMatchObject({ name: "ZodError" });
    expect(await activeUser(u.id, signedIn)).toMatchObject({ email });
    await endOwnSessions(me, { confirm: true });
    expect(await activeUser(u.id, signedIn)).toBeNull();
    const again = await authenticate(email, "stays the same 1");
    expect(await activeUser(u.id, again!.sessionVersion)).toMatchObject({ email });
    expect(await db.auditLog.count({ where: { targetId: u.id, action: "user.sessions.end", actorId: u.id } })).toBe(1);
  });

  it("lets an admin reset another user's password: a generated one is returned once, a chosen one is not echoed", async () => {
    const email = `reset-${uniq()}@x.test`;
    const u = await createUser(system, { email, name: "Q", role: "viewer", password: "old password 12" });
    const signedIn = (await authenticate(email, "old password 12"))!.sessionVersion;
    const generated = await resetUserPassword(system, { id: u.id });
    expect(generated.email).toBe(email);
    expect(generated.password).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(await activeUser(u.id, signedIn)).toBeNull();
    expect(await authenticate(email, generated.password!)).toMatchObject({ email });
    expect(await authenticate(email, "old password 12")).toBeNull();
    const chosen = await resetUserPassword(system, { id: u.id, password: "chosen password 3" });
    expect(chosen.password).toBeNull();
    expect(await authenticate(email, "chosen password 3")).toMatchObject({ email });
    await expect(resetUserPassword(system, { id: "00000000-0000-4000-8000-000000000000" })).rejects.toMatchObject({ code: "not_found" });
    const entries = await db.auditLog.findMany({ where: { targetId: u.id, action: "user.password.reset" } });
    expect(entries).toHaveLength(2);
    expect(JSON.stringify(entries)).not.toContain(generated.password!);
    // Not one's own: that needs the current password.
    const self = { kind: "user", user: { id: u.id, email, name: "Q", role: "admin" } } as const;
    await expect(resetUserPassword(self, { id: u.id, password: "taken over 1234" })).rejects.toMatchObject({ code: "forbidden" });
    expect(await authenticate(email, "chosen password 3")).toMatchObject({ email });
  });

  it("validates input with field-level messages", async () => {
    await expect(createUser(system, { email: "not-an-email", name: "", role: "root", password: "short" })).rejects.toMatchObject({ name: "ZodError" });
  });
});
