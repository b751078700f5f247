import "server-only";
import { isInstanceAdmin, notFound, workspaceOf, type Principal } from "@/lib/core";
import { pool } from "@/lib/db";
import { ALL_WORKSPACES, type WorkspaceChoice } from "./schemas";

/** Whose usage a query reads: one workspace's id, or every workspace's (instance admins only). */
export type UsageScope = string | typeof ALL_WORKSPACES;

/**
 * The workspace(s) a caller may read usage of, from what the view asked for.
 * Nothing asked: the caller's own workspace. "all" or another workspace's id:
 * instance admins only; anyone else gets the same 404 a made-up id gets, so the
 * answer never tells whether a workspace exists.
 */
export async function usageScope(by: Principal, asked: WorkspaceChoice | undefined): Promise<UsageScope> {
  const own = workspaceOf(by);
  if (asked === undefined || asked === own) return own;
  if (!isInstanceAdmin(by)) throw notFound("Workspace");
  if (asked === ALL_WORKSPACES) return ALL_WORKSPACES;
  const { rows } = await pool().query(`SELECT 1 FROM "Workspace" WHERE id = $1::uuid`, [asked]);
  if (rows.length === 0) throw notFound("Workspace");
  return asked;
}
