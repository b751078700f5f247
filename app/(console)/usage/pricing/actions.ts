"use server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { authedAction } from "@/lib/auth";
import { createPrice, deleteScheduledPrice } from "@/lib/pricing";
import { createPriceInput } from "@/lib/pricing/schemas";

export const createPriceAction = authedAction("instance", createPriceInput, async (actor, input, ip) => {
  const row = await createPrice(actor, input, ip);
  revalidatePath("/usage/pricing");
  return { id: row.id, model: row.model };
});

export const deletePriceAction = authedAction("instance", z.uuid("must be a price id"), async (actor, id, ip) => {
  await deleteScheduledPrice(actor, id, ip);
  revalidatePath("/usage/pricing");
  return { id };
});
