"use server";
import type { z } from "zod";
import { authedAction, signOut, type ActionResult } from "@/lib/auth";
import { changeOwnPassword, endOwnSessions } from "@/lib/users";
import { changePasswordInput, endSessionsInput } from "@/lib/users/schemas";

// Both end every session of the user, this one included, so on success they
// sign out and send them to sign in again. The redirect is thrown outside
// authedAction, which would report it as an error.
async function thenSignOut(r: ActionResult<void>, reason: "changed" | "ended"): Promise<ActionResult<void>> {
  if (r.ok) await signOut({ redirectTo: `/login?${reason}=1` });
  return r;
}

const change = authedAction("viewer", changePasswordInput, (actor, input, ip) => changeOwnPassword(actor, input, ip));
const end = authedAction("viewer", endSessionsInput, (actor, input, ip) => endOwnSessions(actor, input, ip));

/** Changes the signed-in user's password (the current one is required). */
export async function changePasswordAction(input: z.input<typeof changePasswordInput>): Promise<ActionResult<void>> {
  return thenSignOut(await change(input), "changed");
}

/** Signs the user out of every session they have, on every instance. */
export async function endAllSessionsAction(input: z.input<typeof endSessionsInput>): Promise<ActionResult<void>> {
  return thenSignOut(await end(input), "ended");
}
