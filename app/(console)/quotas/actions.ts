"use server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { authedAction } from "@/lib/auth";
import { createPolicy, deletePolicy, updatePolicy } from "@/lib/quota";
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
