import { afterAll, describe, expect, it } from "vitest";
import { closeDb, db } from "@/lib/db";
import { authenticate, createUser, insertUser, setUserDisabled, setUserRole } from "@/lib/users";

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

  it("validates input with field-level messages", async () => {
    await expect(createUser(system, { email: "not-an-email", name: "", role: "root", password: "short" })).rejects.toMatchObject({ name: "ZodError" });
  });
});
