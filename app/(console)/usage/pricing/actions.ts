"use server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { authedAction } from "@/lib/auth";
import { createPrice, deleteScheduledPrice } from "@/lib/pricing";

export const createPriceAction = authedAction("admin", async (actor, input: unknown, ip) => {
  const row = await createPrice(actor, input, ip);
  revalidatePath("/usage/pricing");
  return { id: row.id, model: row.model };
});

export const deletePriceAction = authedAction("admin", async (actor, id: unknown, ip) => {
  await deleteScheduledPrice(actor, z.uuid("must be a price id").parse(id), ip);
  revalidatePath("/usage/pricing");
  return { id: id as string };
});
