"use server";
import { revalidatePath } from "next/cache";
import { authedAction, createApiKey, revokeApiKey } from "@/lib/auth";

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
