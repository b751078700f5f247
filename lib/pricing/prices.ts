import "server-only";
import { withAudit } from "@/lib/audit";
import type { Principal } from "@/lib/core";
import { db, publishInvalidation } from "@/lib/db";
import { AppError } from "@/lib/core";
import { createPriceInput } from "./schemas";

// Admin edits of the price table. A price is never changed in place: a new row
// with a later effectiveFrom supersedes it from that instant, so every stored
// cost keeps the price it was computed with, and the table is its own history.
// Only rows that have not taken effect yet may be deleted.

export const PRICES_TOPIC = "prices";
/** Clock skew allowed between the admin's "now" and the server's. */
const PAST_TOLERANCE_MS = 60_000;

export type PriceView = {
  id: string; model: string; inputPerMTok: number; outputPerMTok: number; cachedInputPerMTok: number | null;
  effectiveFrom: Date; createdAt: Date;
  /** in force now for its pattern, superseded by a later row, or scheduled for the future. */
  state: "current" | "superseded" | "scheduled";
};

export async function listPrices(now = Date.now()): Promise<PriceView[]> {
  const rows = await db.modelPrice.findMany({ orderBy: [{ model: "asc" }, { effectiveFrom: "desc" }] });
  const currentOf = new Map<string, string>();
  for (const r of rows) if (r.effectiveFrom.getTime() <= now && !currentOf.has(r.model)) currentOf.set(r.model, r.id);
  return rows.map((r) => ({
    id: r.id, model: r.model, inputPerMTok: Number(r.inputPerMTok), outputPerMTok: Number(r.outputPerMTok),
    cachedInputPerMTok: r.cachedInputPerMTok === null ? null : Number(r.cachedInputPerMTok),
    effectiveFrom: r.effectiveFrom, createdAt: r.createdAt,
    state: r.effectiveFrom.getTime() > now ? "scheduled" : currentOf.get(r.model) === r.id ? "current" : "superseded",
  }));
}

/** Adds a price from `effectiveFrom` on (now or later: never retroactive). */
export async function createPrice(actor: Principal, input: unknown, ip: string | null = null) {
  const p = createPriceInput.parse(input);
  if (p.effectiveFrom.getTime() < Date.now() - PAST_TOLERANCE_MS) {
    throw new AppError("validation_error", "A price can only take effect now or later; past usage keeps the price it was recorded with", { param: "effectiveFrom" });
  }
  const row = await withAudit(actor, { action: "usage.price.create", targetType: "ModelPrice", ip }, async (tx) => {
    const created = await tx.modelPrice.create({
      data: { model: p.model, inputPerMTok: p.inputPerMTok, outputPerMTok: p.outputPerMTok, cachedInputPerMTok: p.cachedInputPerMTok, effectiveFrom: p.effectiveFrom },
    });
    return { result: created, targetId: created.id, after: p };
  });
  await publishInvalidation(PRICES_TOPIC);
  return row;
}

/** Deletes a scheduled price; one already in effect is history and stays. */
export async function deleteScheduledPrice(actor: Principal, id: string, ip: string | null = null) {
  await withAudit(actor, { action: "usage.price.delete", targetType: "ModelPrice", ip }, async (tx) => {
    const row = await tx.modelPrice.findUnique({ where: { id } });
    if (!row) throw new AppError("not_found", "Price not found");
    if (row.effectiveFrom.getTime() <= Date.now()) throw new AppError("conflict", "This price is already in effect; add a newer one instead");
    await tx.modelPrice.delete({ where: { id } });
    return { result: undefined, targetId: id, before: { model: row.model, effectiveFrom: row.effectiveFrom } };
  });
  await publishInvalidation(PRICES_TOPIC);
}
