"use server";
import { revalidatePath } from "next/cache";
import { authedAction, createApiKey, disableSigning, enableSigning, revokeApiKey, setKeyCacheEnabled } from "@/lib/auth";
import { setKeyFilters, setKeyLogging } from "@/lib/filters";

export const createApiKeyAction = authedAction("admin", async (actor, input: unknown, ip) => {
  const { key, row } = await createApiKey(actor, input, ip);
  revalidatePath("/keys");
  return { key, id: row.id, prefix: row.prefix };
});

export const revokeApiKeyAction = authedAction("admin", async (actor, id: string, ip) => {
  const row = await revokeApiKey(actor, id, ip);
  revalidatePath("/keys");
  return { id: row.id };
});

export const updateKeyFiltersAction = authedAction("admin", async (actor, input: { id: string; filters: unknown }, ip) => {
  const filters = await setKeyFilters(actor, String(input?.id ?? ""), input?.filters, ip);
  revalidatePath(`/keys/${input.id}`);
  return { terms: filters.terms.length };
});

export const enableSigningAction = authedAction("admin", async (actor, id: string, ip) => {
  const { secret } = await enableSigning(actor, String(id), ip);
  revalidatePath(`/keys/${id}`);
  return { secret };
});

export const disableSigningAction = authedAction("admin", async (actor, id: string, ip) => {
  await disableSigning(actor, String(id), ip);
  revalidatePath(`/keys/${id}`);
  return { id };
});

export const setKeyCacheAction = authedAction("admin", async (actor, input: { id: string; enabled: boolean }, ip) => {
  const row = await setKeyCacheEnabled(actor, { id: String(input?.id), enabled: input?.enabled === true }, ip);
  revalidatePath(`/keys/${row.id}`);
  return { id: row.id, cacheEnabled: row.cacheEnabled };
});

export const setKeyLoggingAction = authedAction("admin", async (actor, input: { id: string; enabled: boolean; retentionDays: number }, ip) => {
  await setKeyLogging(actor, String(input?.id), { enabled: input?.enabled === true, retentionDays: Number(input?.retentionDays) }, ip);
  revalidatePath(`/keys/${input.id}`);
  return { id: input.id };
});
