"use server";
import { authedAction, signOut, type ActionResult } from "@/lib/auth";
import { changeOwnPassword, endOwnSessions } from "@/lib/users";

const change = authedAction("viewer", (actor, input: unknown, ip) => changeOwnPassword(actor, input, ip));

/**
 * Changes the signed-in user's password. Every session of theirs ends, this
 * one included, so on success this signs out and sends them to sign in again
 * (the redirect is thrown outside authedAction, which would report it as an error).
 */
export async function changePasswordAction(input: unknown): Promise<ActionResult<void>> {
  const r = await change(input);
  if (r.ok) await signOut({ redirectTo: "/login?changed=1" });
  return r;
}

const end = authedAction("viewer", (actor, input: unknown, ip) => endOwnSessions(actor, input, ip));

/** Signs the user out of every session they have, on every instance, and sends them to sign in. */
export async function endAllSessionsAction(input: unknown): Promise<ActionResult<void>> {
  const r = await end(input);
  if (r.ok) await signOut({ redirectTo: "/login?ended=1" });
  return r;
}
