"use server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { createAccount, deleteAccount, runHealthAction, testConnection, updateAccount, updateRoutingSettings } from "@/lib/accounts";
import { accountHealthAction, createAccountInput, updateAccountInput, updateRoutingSettingsInput } from "@/lib/accounts/schemas";
import { authedAction } from "@/lib/auth";

// The id comes from the browser like everything else: check it is one before
// it reaches a uuid column. An update sends it beside the changed fields, so a
// bad field is named as the form names it.
const accountId = z.string().uuid("must be an account id");

const refresh = <T,>(r: T) => {
  revalidatePath("/accounts");
  return r;
};

export const createAccountAction = authedAction("instance", createAccountInput, async (actor, input, ip) => {
  const a = await createAccount(actor, input, ip);
  return refresh({ id: a.id, name: a.name });
});

export const updateAccountAction = authedAction("instance", updateAccountInput.extend({ id: accountId }), async (actor, { id, ...patch }, ip) => {
  const a = await updateAccount(actor, id, patch, ip);
  return refresh({ id: a.id, name: a.name, enabled: a.enabled });
});

export const deleteAccountAction = authedAction("instance", accountId, async (actor, id, ip) => {
  await deleteAccount(actor, id, ip);
  return refresh({ id });
});

export const testAccountAction = authedAction("instance", accountId, (actor, id, ip) => testConnection(actor, id, ip));

/** Disable, enable, drain, undrain, reset circuit or probe now: admin only, audited. */
export const accountHealthActionAction = authedAction("instance", accountHealthAction.extend({ id: accountId }), async (actor, { id, ...action }, ip) =>
  refresh(await runHealthAction(actor, id, action, ip)),
);

export const updateRoutingAction = authedAction("instance", updateRoutingSettingsInput, async (actor, input, ip) => refresh(await updateRoutingSettings(actor, input, ip)));
