import { z } from "zod";
import { roles } from "@/lib/auth/roles";

export const createUserInput = z.object({
  email: z.string().trim().toLowerCase().email("must be a valid email address").max(254),
  name: z.string().trim().min(1, "is required").max(120),
  role: z.enum(roles),
  password: z.string().min(10, "must be at least 10 characters").max(200),
});
export type CreateUserInput = z.infer<typeof createUserInput>;

export const setRoleInput = z.object({ id: z.string().uuid(), role: z.enum(roles) });
export const setDisabledInput = z.object({ id: z.string().uuid(), disabled: z.boolean() });
