// Memberships, the session's workspace and role, the switcher, and the admin CLI
// (issue 18 §1): a user's role is the one they hold in the workspace the console
// shows them, remembered per user; `workspaces create|list|add-member|remove-member`
// and `--workspace` on the key and quota commands.
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import type { Principal } from "@/lib/core";
import { closeDb, db } from "@/lib/db";
import { activeUser, insertUser } from "@/lib/users";
import { createWorkspace, findWorkspace, removeMember, setMember, switchWorkspace, updateWorkspace, workspacesOf } from "@/lib/workspaces";
import { adminCli } from "../../support/cli";

const run = randomBytes(3).toString("hex");
const root = { kind: "system", name: "test" } as const;
const DEFAULT = "00000000-0000-0000-0000-000000000001";

describe("memberships and the session's workspace", () => {
  afterAll(closeDb);

  it("a user's role is their role in the workspace they switched to, remembered; a workspace they are not in is 404", async () => {
    const a = await createWorkspace(root, { name: "Alpha", slug: `alpha-${run}` });
    const b = await createWorkspace(root, { name: "Beta", slug: `beta-${run}` });
    const u = await insertUser({ email: `member-${run}@ws.test`, name: "M", role: "viewer", password: "correct horse battery", workspaceId: a.id });
    await setMember(root, { workspaceId: b.id, email: u.email, role: "editor" });
    // First: their oldest membership (not Default: they are not in it).
    expect(await activeUser(u.id)).toMatchObject({ role: "viewer", instanceAdmin: false, workspace: { id: a.id, slug: `alpha-${run}` } });
    const me: Principal = { kind: "user", user: (await activeUser(u.id))! };
    await switchWorkspace(me, { workspaceId: b.id });
    expect(await activeUser(u.id)).toMatchObject({ role: "editor", workspace: { id: b.id } });
    expect((await workspacesOf({ id: u.id })).map((w) => [w.slug, w.role])).toEqual([[`alpha-${run}`, "viewer"], [`beta-${run}`, "editor"]]);
    await expect(switchWorkspace(me, { workspaceId: DEFAULT })).rejects.toMatchObject({ status: 404 });
    // A role change or removal takes effect on the next request; removed from the current one, they fall back to another.
    await setMember(root, { workspaceId: b.id, email: u.email, role: "admin" });
    expect((await activeUser(u.id))!.role).toBe("admin");
    await removeMember(root, { workspaceId: b.id, email: u.email });
    expect(await activeUser(u.id)).toMatchObject({ role: "viewer", workspace: { id: a.id } });
    await removeMember(root, { workspaceId: a.id, email: u.email });
    expect(await activeUser(u.id)).toBeNull();
    // Allowed models travel with the session's workspace too.
    await setMember(root, { workspaceId: a.id, email: u.email, role: "editor" });
    await updateWorkspace(root, { id: a.id, allowedModels: ["gpt-4o*"] });
    expect((await activeUser(u.id))!.workspace!.allowedModels).toEqual(["gpt-4o*"]);
  });

  it("only instance admins manage workspaces and members; an instance admin is admin in every workspace", async () => {
    const teamAdmin: Principal = { kind: "user", user: { id: "00000000-0000-4000-8000-0000000000a1", email: "t@ws.test", name: "T", role: "admin", instanceAdmin: false } };
    await expect(createWorkspace(teamAdmin, { name: "X", slug: `x-${run}` })).rejects.toMatchObject({ status: 403 });
    await expect(createWorkspace(root, { name: "Dup", slug: `alpha-${run}` })).rejects.toMatchObject({ status: 409 });
    const boss = await insertUser({ email: `boss-${run}@ws.test`, name: "B", role: "admin", password: "correct horse battery" });
    const c = await createWorkspace(root, { name: "Gamma", slug: `gamma-${run}` });
    const bossUser = (await activeUser(boss.id))!;
    expect(bossUser).toMatchObject({ instanceAdmin: true, role: "admin", workspace: { id: DEFAULT } });
    await switchWorkspace({ kind: "user", user: bossUser }, { workspaceId: c.id });
    expect(await activeUser(boss.id)).toMatchObject({ role: "admin", workspace: { id: c.id } });
  });
});

describe("admin CLI: workspaces, and --workspace on keys and quotas", () => {
  it("creates and lists workspaces, adds and removes members, and creates, lists and revokes keys and quotas inside one workspace", async () => {
    const slug = `cli-${run}`;
    const created = adminCli("workspaces", "create", "--name", "CLI team", "--slug", slug, "--models", "sim-*,gpt-4o");
    expect(created.err).toBe("");
    expect(created.out).toContain(`Created workspace 'CLI team' (${slug}`);
    const w = (await findWorkspace(slug))!;
    expect(w.allowedModels).toEqual(["sim-*", "gpt-4o"]);
    expect(adminCli("workspaces", "list").out).toContain(slug);

    await insertUser({ email: `cli-member-${run}@ws.test`, name: "C", role: "viewer", password: "correct horse battery" });
    const added = adminCli("workspaces", "add-member", slug, "--email", `cli-member-${run}@ws.test`, "--role", "editor");
    expect(added.out).toContain(`is editor in ${slug}`);
    expect(await db.membership.count({ where: { workspaceId: w.id } })).toBe(1);
    expect(adminCli("workspaces", "remove-member", slug, "--email", `cli-member-${run}@ws.test`).code).toBe(0);
    expect(await db.membership.count({ where: { workspaceId: w.id } })).toBe(0);

    const key = adminCli("keys", "create", "--name", `cli-key-${run}`, "--workspace", slug);
    expect(key.code).toBe(0);
    const row = await db.apiKey.findFirstOrThrow({ where: { name: `cli-key-${run}` } });
    expect(row.workspaceId).toBe(w.id);
    expect(adminCli("keys", "list", "--workspace", slug).out).toContain(`cli-key-${run}`);
    expect(adminCli("keys", "list").out).not.toContain(`cli-key-${run}`);
    // Another workspace's key is not there to revoke.
    expect(adminCli("keys", "revoke", row.id).code).not.toBe(0);

    const q = adminCli("quotas", "create", "--name", `cli-q-${run}`, "--scope", "key", "--key", row.prefix, "--tpd", "1000", "--workspace", slug);
    expect(q.err).toBe("");
    expect((await db.quotaPolicy.findFirstOrThrow({ where: { name: `cli-q-${run}` } })).workspaceId).toBe(w.id);
    expect(adminCli("quotas", "list", "--workspace", slug).out).toContain(`cli-q-${run}`);
    expect(adminCli("quotas", "list").out).not.toContain(`cli-q-${run}`);
    expect(adminCli("keys", "revoke", row.id, "--workspace", slug).code).toBe(0);
    expect(adminCli("workspaces", "list", "--workspace", "no-such-workspace").err).toContain("no workspace no-such-workspace");
  });
});
