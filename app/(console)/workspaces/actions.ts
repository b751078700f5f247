"use server";
import { revalidatePath } from "next/cache";
import { authedAction } from "@/lib/auth";
import { createWorkspace, removeMember, setMember, switchWorkspace, updateWorkspace } from "@/lib/workspaces";
import { createWorkspaceInput, memberInput, removeMemberInput, switchWorkspaceInput, updateWorkspaceInput } from "@/lib/workspaces/schemas";

const refresh = <T,>(r: T) => {
  revalidatePath("/workspaces");
  return r;
};

// Instance admins manage workspaces and their members.
export const createWorkspaceAction = authedAction("instance", createWorkspaceInput, async (actor, input, ip) => refresh(await createWorkspace(actor, input, ip)));
export const updateWorkspaceAction = authedAction("instance", updateWorkspaceInput, async (actor, input, ip) => refresh(await updateWorkspace(actor, input, ip)));
export const setMemberAction = authedAction("instance", memberInput, async (actor, input, ip) => refresh(await setMember(actor, input, ip)));
export const removeMemberAction = authedAction("instance", removeMemberInput, async (actor, input, ip) => refresh(await removeMember(actor, input, ip)));

/** The header's switcher, for every signed-in user: remembered on the user, so it follows them to any browser. */
export const switchWorkspaceAction = authedAction("viewer", switchWorkspaceInput, async (actor, input) => {
  const r = await switchWorkspace(actor, input);
  revalidatePath("/", "layout");
  return r;
});
