"use server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { authedAction } from "@/lib/auth";
import { createPolicy, deletePolicy, endRaise, raisePolicy, resetWindow, updatePolicy } from "@/lib/quota";
import { createQuotaPolicyInput, updateQuotaPolicyInput } from "@/lib/quota/schemas";

// An update sends the policy's id beside the changed fields, so a bad field is named as the form names it.
const policyId = z.string().uuid("must be a quota policy id");

const refresh = <T,>(r: T) => {
  revalidatePath("/quotas");
  revalidatePath("/keys");
  return r;
};

export const createQuotaPolicyAction = authedAction("admin", createQuotaPolicyInput, async (actor, input, ip) => {
  const p = await createPolicy(actor, input, ip);
  return refresh({ id: p.id, name: p.name });
});

// An intersection: the patch's cross-field rules (a refinement) stay as the domain wrote them.
export const updateQuotaPolicyAction = authedAction("admin", z.intersection(z.object({ id: policyId }), updateQuotaPolicyInput), async (actor, { id, ...patch }, ip) => {
  const p = await updatePolicy(actor, id, patch, ip);
  return refresh({ id: p.id, name: p.name, enabled: p.enabled });
});

export const deleteQuotaPolicyAction = authedAction("admin", policyId, async (actor, id, ip) => {
  await deletePolicy(actor, id, ip);
  return refresh({ id });
});

// Instance admins only: a temporary raise, its early end, and a window reset. The domain checks the
// input (with its reason) and writes the audit entry in the policy's workspace.
const withId = z.object({ id: policyId }).passthrough();

export const raiseQuotaAction = authedAction("instance", withId, async (actor, { id, ...input }, ip) => {
  const p = await raisePolicy(actor, id, input, ip);
  return refresh({ id: p.id, raise: p.raise });
});

export const endRaiseAction = authedAction("instance", policyId, async (actor, id, ip) => {
  const p = await endRaise(actor, id, ip);
  return refresh({ id: p.id });
});

export const resetQuotaWindowAction = authedAction("instance", withId, async (actor, { id, ...input }, ip) => refresh(await resetWindow(actor, id, input, ip)));
