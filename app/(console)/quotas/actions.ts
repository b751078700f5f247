"use server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { authedAction } from "@/lib/auth";
import { createPolicy, deletePolicy, updatePolicy } from "@/lib/quota";

const policyId = z.string().uuid("must be a quota policy id");
const updateInput = z.object({ id: policyId, patch: z.unknown() });

const refresh = <T,>(r: T) => {
  revalidatePath("/quotas");
  revalidatePath("/keys");
  return r;
};

export const createQuotaPolicyAction = authedAction("admin", async (actor, input: unknown, ip) => {
  const p = await createPolicy(actor, input, ip);
  return refresh({ id: p.id, name: p.name });
});

export const updateQuotaPolicyAction = authedAction("admin", async (actor, input: unknown, ip) => {
  const { id, patch } = updateInput.parse(input);
  const p = await updatePolicy(actor, id, patch, ip);
  return refresh({ id: p.id, name: p.name, enabled: p.enabled });
});

export const deleteQuotaPolicyAction = authedAction("admin", async (actor, id: unknown, ip) => {
  await deletePolicy(actor, policyId.parse(id), ip);
  return refresh({ id: id as string });
});
