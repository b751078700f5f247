import { z } from "zod";
import { roles } from "@/lib/core";

// Client-safe inputs of lib/workspaces.

// Any 8-4-4-4-12 hex id: zod's uuid() wants an RFC version nibble, and Default's fixed id
// (00000000-0000-0000-0000-000000000001) has none.
export const workspaceId = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "must be a workspace id");

export const workspaceSlug = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/, "must be 1-48 lowercase letters, digits and dashes");

/** A model glob as accounts and `model:` scopes write them: `*` is any run of characters. */
export const modelPattern = z.string().trim().regex(/^[A-Za-z0-9._:/@*-]{1,200}$/, "must be a model name or a pattern with *");

export const createWorkspaceInput = z.object({
  name: z.string().trim().min(1, "is required").max(100),
  slug: workspaceSlug,
  /** Empty (the default): every model. */
  allowedModels: z.array(modelPattern).max(100).default([]),
});
export type CreateWorkspaceInput = z.input<typeof createWorkspaceInput>;

export const updateWorkspaceInput = z.object({
  id: workspaceId,
  name: z.string().trim().min(1, "is required").max(100).optional(),
  allowedModels: z.array(modelPattern).max(100).optional(),
});

export const memberInput = z.object({
  workspaceId: workspaceId,
  email: z.string().trim().toLowerCase().email("must be an email address"),
  role: z.enum(roles),
});

export const removeMemberInput = z.object({
  workspaceId: workspaceId,
  email: z.string().trim().toLowerCase().email("must be an email address"),
});

export const switchWorkspaceInput = z.object({ workspaceId: workspaceId });

export type WorkspaceView = { id: string; name: string; slug: string; allowedModels: string[]; members: number; createdAt: string };
export type MemberView = { userId: string; email: string; name: string; role: (typeof roles)[number]; instanceAdmin: boolean };
