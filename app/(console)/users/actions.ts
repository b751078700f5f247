"use server";
import { revalidatePath } from "next/cache";
import { authedAction } from "@/lib/auth";
import { createUser, resetUserPassword, setUserDisabled, setUserRole } from "@/lib/users";

const refresh = <T,>(r: T) => {
  revalidatePath("/users");
  return r;
};

export const createUserAction = authedAction("admin", async (actor, input: unknown, ip) =>
  refresh(await createUser(actor, input, ip)),
);
export const setUserRoleAction = authedAction("admin", async (actor, input: unknown, ip) =>
  refresh(await setUserRole(actor, input, ip)),
);
export const setUserDisabledAction = authedAction("admin", async (actor, input: unknown, ip) =>
  refresh(await setUserDisabled(actor, input, ip)),
);
/** Returns the generated password once; the user's sessions end. */
export const resetUserPasswordAction = authedAction("admin", async (actor, input: unknown, ip) =>
  refresh(await resetUserPassword(actor, input, ip)),
);
