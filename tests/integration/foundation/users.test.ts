import { afterAll, describe, expect, it } from "vitest";
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
    await db.user.updateMany({ where: { role: "admin", id: { not: admin.id } }, data: { role: "editor" } });
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
    const before = Date.now() - 1;
    await expect(changeOwnPassword(me, { currentPassword: "not it at all", newPassword: "second password 2" })).rejects.toMatchObject({ code: "validation_error", details: { param: "currentPassword" } });
    await expect(changeOwnPassword(me, { currentPassword: "first password 1", newPassword: "short" })).rejects.toMatchObject({ name: "ZodError" });
    await expect(changeOwnPassword(me, { currentPassword: "first password 1", newPassword: "first password 1" })).rejects.toMatchObject({ name: "ZodError" });
    expect(await activeUser(u.id, before)).toMatchObject({ email }); // nothing changed yet
    await expect(changeOwnPassword(system, { currentPassword: "first password 1", newPassword: "second password 2" })).rejects.toMatchObject({ code: "forbidden" });

    await changeOwnPassword(me, { currentPassword: "first password 1", newPassword: "second password 2" });
    expect(await authenticate(email, "first password 1")).toBeNull();
    expect(await authenticate(email, "second password 2")).toMatchObject({ email });
    // A session that began before the change is over (one without a start time counts as older); one that began after it works.
    expect(await activeUser(u.id, before)).toBeNull();
    expect(await activeUser(u.id, undefined)).toBeNull();
    expect(await activeUser(u.id, Date.now() + 1)).toMatchObject({ email });
    const entry = await db.auditLog.findFirstOrThrow({ where: { targetId: u.id, action: "user.password.change" } });
    expect(entry.actorId).toBe(u.id);
    const row = await db.user.findUniqueOrThrow({ where: { id: u.id } });
    expect(JSON.stringify(entry)).not.toContain(row.passwordHash);
    expect(JSON.stringify(entry)).not.toContain("second password 2");
  });

  it("ends all of one's own sessions only when asked explicitly, keeping the password", async () => {
    const email = `end-${uniq()}@x.test`;
    const u = await createUser(system, { email, name: "E", role: "viewer", password: "stays the same 1" });
    const me = { kind: "user", user: { id: u.id, email, name: "E", role: "viewer" } } as const;
    const before = Date.now() - 1;
    await expect(endOwnSessions(me, {})).rejects.toMatchObject({ name: "ZodError" });
    expect(await activeUser(u.id, before)).toMatchObject({ email });
    await endOwnSessions(me, { confirm: true });
    expect(await activeUser(u.id, before)).toBeNull();
    expect(await activeUser(u.id, Date.now() + 1)).toMatchObject({ email });
    expect(await authenticate(email, "stays the same 1")).toMatchObject({ email });
    expect(await db.auditLog.count({ where: { targetId: u.id, action: "user.sessions.end", actorId: u.id } })).toBe(1);
  });

  it("lets an admin reset a password: a generated one is returned once, a chosen one is not echoed", async () => {
    const email = `reset-${uniq()}@x.test`;
    const u = await createUser(system, { email, name: "Q", role: "viewer", password: "old password 12" });
    const generated = await resetUserPassword(system, { id: u.id });
    expect(generated.email).toBe(email);
    expect(generated.password).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(await authenticate(email, generated.password!)).toMatchObject({ email });
    expect(await authenticate(email, "old password 12")).toBeNull();
    const chosen = await resetUserPassword(system, { id: u.id, password: "chosen password 3" });
    expect(chosen.password).toBeNull();
    expect(await authenticate(email, "chosen password 3")).toMatchObject({ email });
    await expect(resetUserPassword(system, { id: "00000000-0000-4000-8000-000000000000" })).rejects.toMatchObject({ code: "not_found" });
    const entries = await db.auditLog.findMany({ where: { targetId: u.id, action: "user.password.reset" } });
    expect(entries).toHaveLength(2);
    expect(JSON.stringify(entries)).not.toContain(generated.password!);
  });

  it("validates input with field-level messages", async () => {
    await expect(createUser(system, { email: "not-an-email", name: "", role: "root", password: "short" })).rejects.toMatchObject({ name: "ZodError" });
  });
});
