import "server-only";
import { db, isDatabaseUnreachable, onInvalidate, publishInvalidation, willHearInvalidations } from "@/lib/db";
import { logger } from "@/lib/observability";
import type { VariantOverrides } from "./schemas";

// The running experiment (if any) for a prompt and label, cached per instance
// so /api/completion pays no database round trip. The absence of an
// experiment is cached too: that is the common case. Freshness follows
// lib/prompts/resolve.ts: every lifecycle change publishes
// "experiments:<workspace id>/<prompt name>" after its commit and every instance drops that
// prompt's entries; an entry is cached only while a later change is sure to
// reach this instance (willHearInvalidations) and only if no invalidation
// overlapped its load; the TTL is a backstop. Past its TTL an entry is served
// while it reloads in the background, and kept another TTL when the database
// cannot be reached (faults #14.3).

const TTL_MS = 60_000;
const TOPIC = "experiments";

export type ActiveVariant = {
  id: string;
  name: string;
  weight: number;
  isControl: boolean;
  promptVersion: number;
  promptVersionId: string;
  overrides: VariantOverrides;
};

export type ActiveExperiment = {
  id: string;
  name: string;
  phase: { id: string; number: number };
  variants: ActiveVariant[];
};

type Entry = { value: ActiveExperiment | null; at: number };
type State = { entries: Map<string, Entry>; gens: Map<string, number>; epoch: number; subscribed: boolean };
const g = globalThis as typeof globalThis & { __pgExperiments?: State };
const state: State = (g.__pgExperiments ??= { entries: new Map(), gens: new Map(), epoch: 0, subscribed: false });

const keyOf = (prompt: string, label: string) => `${prompt}\u0000${label}`;

function forget(prompt: string): void {
  if (!prompt || prompt === "*") {
    state.epoch++;
    state.entries.clear();
    return;
  }
  state.gens.set(prompt, (state.gens.get(prompt) ?? 0) + 1);
  for (const k of state.entries.keys()) if (k.startsWith(`${prompt}\u0000`)) state.entries.delete(k);
}

function subscribe(): void {
  if (state.subscribed) return;
  state.subscribed = true;
  onInvalidate(TOPIC, (payload) => forget(payload || "*"));
}

const generation = (prompt: string) => `${state.epoch}:${state.gens.get(prompt) ?? 0}`;

type Row = {
  experimentId: string;
  experimentName: string;
  phaseId: string;
  phaseNumber: number;
  variantId: string;
  variantName: string;
  weight: number;
  isControl: boolean;
  promptVersion: number;
  promptVersionId: string;
  overrides: VariantOverrides;
};

async function load(workspaceId: string, prompt: string, label: string): Promise<ActiveExperiment | null> {
  // One round trip: the running experiment, its current (highest) phase and that phase's variants.
  const rows = await db.$queryRaw<Row[]>`
    SELECT e."id" AS "experimentId", e."name" AS "experimentName", ph."id" AS "phaseId", ph."number" AS "phaseNumber",
           v."id" AS "variantId", v."name" AS "variantName", v."weight", v."isControl", v."promptVersion", v."promptVersionId", v."overrides"
    FROM "Experiment" e
    JOIN "Prompt" p ON p."id" = e."promptId"
    JOIN LATERAL (SELECT "id", "number" FROM "ExperimentPhase" WHERE "experimentId" = e."id" ORDER BY "number" DESC LIMIT 1) ph ON true
    JOIN "ExperimentVariant" v ON v."phaseId" = ph."id"
    WHERE p."workspaceId" = ${workspaceId}::uuid AND p."name" = ${prompt} AND e."label" = ${label} AND e."status" = 'running'
    ORDER BY v."position"`;
  const first = rows[0];
  if (!first) return null;
  return {
    id: first.experimentId,
    name: first.experimentName,
    phase: { id: first.phaseId, number: first.phaseNumber },
    variants: rows.map((r) => ({
      id: r.variantId, name: r.variantName, weight: r.weight, isControl: r.isControl,
      promptVersion: r.promptVersion, promptVersionId: r.promptVersionId, overrides: r.overrides ?? {},
    })),
  };
}

// Background reloads in flight, one per (prompt, label).
const refreshing = new Set<string>();

/** The running experiment on (prompt, label), or null. Paused, draft and completed experiments never intercept. */
export async function activeExperiment(workspaceId: string, name: string, label: string): Promise<ActiveExperiment | null> {
  subscribe();
  const prompt = `${workspaceId}/${name}`;
  const key = keyOf(prompt, label);
  const hit = state.entries.get(key);
  if (hit) {
    if (Date.now() - hit.at >= TTL_MS && !refreshing.has(key)) {
      refreshing.add(key);
      loadAndCache(workspaceId, name, label, key)
        .catch((err: unknown) => {
          if (!isDatabaseUnreachable(err)) return void state.entries.delete(key);
          hit.at = Date.now();
          logger.warn({ err }, "could not reload a cached experiment; serving the cached one");
        })
        .finally(() => refreshing.delete(key));
    }
    return hit.value;
  }
  return loadAndCache(workspaceId, name, label, key);
}

async function loadAndCache(workspaceId: string, name: string, label: string, key: string): Promise<ActiveExperiment | null> {
  const prompt = `${workspaceId}/${name}`;
  const canCache = await willHearInvalidations();
  const gen = generation(prompt);
  const value = await load(workspaceId, name, label);
  if (canCache && gen === generation(prompt)) state.entries.set(key, { value, at: Date.now() });
  return value;
}

/** After a committed lifecycle change: this instance forgets at once, the others on the notification. */
export async function invalidateExperiments(workspaceId: string, name: string): Promise<void> {
  const prompt = `${workspaceId}/${name}`;
  forget(prompt);
  await publishInvalidation(TOPIC, prompt).catch((err: unknown) =>
    logger.warn({ err, prompt }, "could not publish an experiment change; other instances catch up within the cache TTL"),
  );
}
