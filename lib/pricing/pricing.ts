import "server-only";
import { db, onInvalidate } from "@/lib/db";
import { logger } from "@/lib/observability";

// Prices per 1M tokens, held in memory and refreshed every minute; cost is
// computed with the row in force at the event's own time, so a new price never
// rewrites history. A failed refresh keeps the previous prices and is retried
// after RETRY_MS, not on every call (the database may be down).

export type PriceRow = { model: string; input: number; output: number; cachedInput: number | null; from: number };
export type TokenCounts = { inputTokens: number; outputTokens: number; cachedTokens: number };

const REFRESH_MS = 60_000;
const RETRY_MS = 5_000;
let rows: PriceRow[] = [];
let loadedAt = 0;
let loadedOnce = false;
let loading: Promise<void> | undefined;

let subscribed = false;

export async function loadPrices(force = false): Promise<void> {
  if (!subscribed) {
    subscribed = true;
    // An admin's price change (lib/usage/prices.ts) reaches every instance before its next batch.
    onInvalidate("prices", () => {
      loadedAt = 0;
    });
  }
  if (!force && Date.now() - loadedAt < REFRESH_MS) return;
  loading ??= (async () => {
    try {
      const found = await db.modelPrice.findMany();
      rows = found.map((r) => ({
        model: r.model, input: Number(r.inputPerMTok), output: Number(r.outputPerMTok),
        cachedInput: r.cachedInputPerMTok === null ? null : Number(r.cachedInputPerMTok), from: r.effectiveFrom.getTime(),
      }));
      loadedAt = Date.now();
      loadedOnce = true;
    } catch (err) {
      if (loadedOnce) loadedAt = Date.now() - REFRESH_MS + RETRY_MS;
      logger.warn({ err }, "could not load model prices; keeping the previous ones");
    } finally {
      loading = undefined;
    }
  })();
  await loading;
}

function specificity(pattern: string, model: string): number {
  if (pattern === model) return Number.MAX_SAFE_INTEGER;
  if (pattern.endsWith("*") && model.startsWith(pattern.slice(0, -1))) return pattern.length;
  return -1;
}

// Per price table, per model: the rows whose pattern matches, most specific
// first, then the latest effective date first. Every usage event is priced, so
// each model's scan over the whole table is done once per table, not per event.
// Keyed by the table itself: a reload makes a new array, and the old one's entries go with it.
const candidates = new WeakMap<PriceRow[], Map<string, PriceRow[]>>();

function matchingRows(model: string, table: PriceRow[]): PriceRow[] {
  let byModel = candidates.get(table);
  if (!byModel) candidates.set(table, (byModel = new Map()));
  let found = byModel.get(model);
  if (!found) {
    found = table
      .map((r) => ({ r, s: specificity(r.model, model) }))
      .filter((x) => x.s >= 0)
      .sort((a, b) => b.s - a.s || b.r.from - a.r.from)
      .map((x) => x.r);
    // Model names come from requests; a flood of distinct ones must not grow this without bound.
    if (byModel.size >= 10_000) byModel.clear();
    byModel.set(model, found);
  }
  return found;
}

/** The price in force for `model` at time `at`: the most specific pattern, then the latest effective date. */
export function priceFor(model: string, at: number, table: PriceRow[] = rows): PriceRow | null {
  for (const r of matchingRows(model, table)) if (r.from <= at) return r;
  return null;
}

/** Cost in USD; cached input tokens are part of input tokens and billed at the cached rate when there is one. */
export function costOf(price: PriceRow, t: TokenCounts): number {
  const cached = Math.min(t.cachedTokens, t.inputTokens);
  const usd = ((t.inputTokens - cached) * price.input + cached * (price.cachedInput ?? price.input) + t.outputTokens * price.output) / 1_000_000;
  return Math.round(usd * 1e8) / 1e8;
}
