import "server-only";
import { redirect } from "next/navigation";
import type { z } from "zod";
import { activeUser } from "@/lib/users";
import { AppError, toAppError } from "@/lib/core";
import { logger } from "@/lib/observability";
import { auth, clientIp } from "./next-auth";
import { hasRole, type Role } from "@/lib/core";
import type { Principal, SessionUser } from "@/lib/core";

/** The signed-in user as the database knows them now (disabled users have no session). */
export async function currentUser(): Promise<SessionUser | null> {
  const session = await auth();
  const id = session?.user?.id;
  return id ? activeUser(id, session.sessionVersion) : null;
}

export type RoleCheckMode = "page" | "action";

/**
 * The one role check used by pages, server actions and route handlers.
 * Pages redirect (to sign-in, or to /forbidden); actions and routes throw an AppError.
 */
/**
 * `min` is a role in the user's current workspace, or "instance": an instance
 * admin (what the instance owns: accounts, routing, pricing, users, workspaces).
 */
export async function requireRole(min: Role | "instance", mode: RoleCheckMode = "action"): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) {
    if (mode === "page") redirect("/login");
    throw new AppError("unauthorized", "Sign in first");
  }
  if (min === "instance") {
    if (user.instanceAdmin) return user;
    if (mode === "page") redirect("/forbidden?need=admin");
    throw new AppError("forbidden", "This needs an instance admin");
  }
  if (!hasRole(user.role, min)) {
    if (mode === "page") redirect(`/forbidden?need=${min}`);
    throw new AppError("forbidden", `This needs the ${min} role; you are ${user.role}`);
  }
  return user;
}

import type { ActionResult } from "./types";
export type { ActionResult };

/**
 * The authenticated server-action helper: checks the role on the server, then
 * parses the input with the domain's schema (the one parse at the edge: a bad
 * field comes back as a validation_error naming it, as toAppError maps any
 * ZodError), hands the principal, the parsed input and the client IP to the
 * domain mutation (which writes the audit entry in the same transaction), and
 * turns errors into a result the form can show. The role comes first, so a
 * caller without it learns nothing about the input rules.
 */
export function authedAction<S extends z.ZodType, O>(
  min: Role | "instance",
  schema: S,
  mutate: (principal: Principal, input: z.output<S>, ip: string | null) => Promise<O>,
): (input: z.input<S>) => Promise<ActionResult<O>> {
  return async (input: z.input<S>) => {
    try {
      const user = await requireRole(min, "action");
      const parsed = schema.parse(input);
      const data = await mutate({ kind: "user", user }, parsed, await clientIp());
      return { ok: true, data };
    } catch (e) {
      const err = toAppError(e);
      if (err.status >= 500) logger.error({ err: e }, "server action failed");
      return { ok: false, error: { code: err.code, message: err.message, param: err.details.param ?? null } };
    }
  };
}
