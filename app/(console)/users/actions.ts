"use server";
import { revalidatePath } from "next/cache";
import { authedAction } from "@/lib/auth";
import { createUser, resetUserPassword, setUserDisabled, setUserRole } from "@/lib/users";
import { createUserInput, resetPasswordInput, setDisabledInput, setRoleInput } from "@/lib/users/schemas";

const refresh = <T,>(r: T) => {
  revalidatePath("/users");
  return r;
};

export const createUserAction = authedAction("instance", createUserInput, async (actor, input, ip) => refresh(await createUser(actor, input, ip)));
export const setUserRoleAction = authedAction("instance", setRoleInput, async (actor, input, ip) => refresh(await setUserRole(actor, input, ip)));
export const setUserDisabledAction = authedAction("instance", setDisabledInput, async (actor, input, ip) => refresh(await setUserDisabled(actor, input, ip)));
/** Returns the generated password once; the user's sessions end. */
export const resetUserPasswordAction = authedAction("instance", resetPasswordInput, async (actor, input, ip) => refresh(await resetUserPassword(actor, input, ip)));
