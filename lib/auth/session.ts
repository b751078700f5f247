import "server-only";
import { redirect } from "next/navigation";
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
export async function requireRole(min: Role, mode: RoleCheckMode = "action"): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) {
    if (mode === "page") redirect("/login");
    throw new AppError("unauthorized", "Sign in first");
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
 * The authenticated server-action helper: checks the role on the server, hands
 * the principal and client IP to the domain mutation (which writes the audit
 * entry in the same transaction), and turns errors into a result the form can show.
 */
export function authedAction<I, O>(
  min: Role,
  mutate: (principal: Principal, input: I, ip: string | null) => Promise<O>,
): (input: I) => Promise<ActionResult<O>> {
  return async (input: I) => {
    try {
      const user = await requireRole(min, "action");
      const data = await mutate({ kind: "user", user }, input, await clientIp());
      return { ok: true, data };
    } catch (e) {
      const err = toAppError(e);
      if (err.status >= 500) logger.error({ err: e }, "server action failed");
      return { ok: false, error: { code: err.code, message: err.message, param: err.details.param ?? null } };
    }
  };
}
