"use server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { authedAction, createApiKey, createApiKeyInput, disableSigning, enableSigning, revokeApiKey, setKeyCacheEnabled } from "@/lib/auth";
import { setKeyFilters, setKeyLogging } from "@/lib/filters";
import { filterConfig } from "@/lib/filters/schemas";

const keyId = z.string().uuid("must be an API key id");

export const createApiKeyAction = authedAction("admin", createApiKeyInput, async (actor, input, ip) => {
  const { key, row } = await createApiKey(actor, input, ip);
  revalidatePath("/keys");
  return { key, id: row.id, prefix: row.prefix };
});

export const revokeApiKeyAction = authedAction("admin", keyId, async (actor, id, ip) => {
  const row = await revokeApiKey(actor, id, ip);
  revalidatePath("/keys");
  return { id: row.id };
});

// The key's id beside the filter fields, so a bad field is named as the form names it.
export const updateKeyFiltersAction = authedAction("admin", filterConfig.extend({ id: keyId }), async (actor, { id, ...filters }, ip) => {
  const saved = await setKeyFilters(actor, id, filters, ip);
  revalidatePath(`/keys/${id}`);
  return { terms: saved.terms.length };
});

export const enableSigningAction = authedAction("admin", keyId, async (actor, id, ip) => {
  const { secret } = await enableSigning(actor, id, ip);
  revalidatePath(`/keys/${id}`);
  return { secret };
});

export const disableSigningAction = authedAction("admin", keyId, async (actor, id, ip) => {
  await disableSigning(actor, id, ip);
  revalidatePath(`/keys/${id}`);
  return { id };
});

export const setKeyCacheAction = authedAction("admin", z.object({ id: keyId, enabled: z.boolean() }), async (actor, input, ip) => {
  const row = await setKeyCacheEnabled(actor, input, ip);
  revalidatePath(`/keys/${row.id}`);
  return { id: row.id, cacheEnabled: row.cacheEnabled };
});

// The retention's range (1 to 365 days) is the domain's rule, with its own message.
const keyLoggingInput = z.object({ id: keyId, enabled: z.boolean(), retentionDays: z.number() });

export const setKeyLoggingAction = authedAction("admin", keyLoggingInput, async (actor, { id, ...logging }, ip) => {
  await setKeyLogging(actor, id, logging, ip);
  revalidatePath(`/keys/${id}`);
  return { id };
});
