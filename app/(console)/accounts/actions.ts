"use server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import {
  accountHealthDetail, accountHealthReport, createAccount, deleteAccount, runHealthAction, testConnection, updateAccount, updateRoutingSettings,
} from "@/lib/accounts";
import { authedAction } from "@/lib/auth";

// The id comes from the browser like everything else: check it is one before
// it reaches a uuid column.
const accountId = z.string().uuid("must be an account id");
const updateInput = z.object({ id: accountId, patch: z.unknown() });

const refresh = <T,>(r: T) => {
  revalidatePath("/accounts");
  return r;
};

export const createAccountAction = authedAction("admin", async (actor, input: unknown, ip) => {
  const a = await createAccount(actor, input, ip);
  return refresh({ id: a.id, name: a.name });
});

export const updateAccountAction = authedAction("admin", async (actor, input: unknown, ip) => {
  const { id, patch } = updateInput.parse(input);
  const a = await updateAccount(actor, id, patch, ip);
  return refresh({ id: a.id, name: a.name, enabled: a.enabled });
});

export const deleteAccountAction = authedAction("admin", async (actor, id: unknown, ip) => {
  await deleteAccount(actor, accountId.parse(id), ip);
  return refresh({ id: id as string });
});

export const testAccountAction = authedAction("admin", async (actor, id: unknown, ip) => testConnection(actor, accountId.parse(id), ip));

// ─── Account health ───

// Reads for the live health views (TanStack Query polls these): any signed-in user.
export const accountHealthQuery = authedAction("viewer", async () => accountHealthReport());
export const accountHealthDetailQuery = authedAction("viewer", async (_actor, id: unknown) => accountHealthDetail(accountId.parse(id)));

const healthActionInput = z.object({ id: accountId, action: z.string() });

/** Disable, enable, drain, undrain, reset circuit or probe now: admin only, audited. */
export const accountHealthActionAction = authedAction("admin", async (actor, input: unknown, ip) => {
  const { id, action } = healthActionInput.parse(input);
  return refresh(await runHealthAction(actor, id, { action }, ip));
});

export const updateRoutingAction = authedAction("admin", async (actor, input: unknown, ip) => refresh(await updateRoutingSettings(actor, input, ip)));
