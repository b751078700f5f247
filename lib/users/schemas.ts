import { z } from "zod";
import { roles } from "@/lib/core";

const password = z.string().min(10, "must be at least 10 characters").max(200, "must be at most 200 characters");

export const createUserInput = z.object({
  email: z.string().trim().toLowerCase().email("must be a valid email address").max(254),
  name: z.string().trim().min(1, "is required").max(120),
  role: z.enum(roles),
  password,
});
export type CreateUserInput = z.infer<typeof createUserInput>;

export const setRoleInput = z.object({ id: z.string().uuid(), role: z.enum(roles) });
export const setDisabledInput = z.object({ id: z.string().uuid(), disabled: z.boolean() });

export const changePasswordInput = z
  .object({ currentPassword: z.string({ message: "is required" }).min(1, "is required").max(200), newPassword: password })
  .refine((v) => v.newPassword !== v.currentPassword, { message: "must differ from the current password", path: ["newPassword"] });

/** An admin's reset: the given password, or a generated one shown once. */
export const resetPasswordInput = z.object({ id: z.string().uuid(), password: password.optional() });

/** Explicit, so that no stray or probing call signs someone out everywhere. */
export const endSessionsInput = z.object({ confirm: z.literal(true, { message: "must be true" }) });
