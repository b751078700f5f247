import "server-only";
import { db, isDatabaseUnreachable, onInvalidate, publishInvalidation, willHearInvalidations } from "@/lib/db";
import { AppError } from "@/lib/core";
import { logger } from "@/lib/observability";
import { DEFAULT_LABEL, type VersionView } from "./schemas";
import { toVersionView } from "./views";

// Resolution of (prompt, label | version) to a version, cached per instance so
// the completion hot path costs no database round trip.
//
// Entries are keyed by workspace and name ("<workspace id>/<name>"): the same
// name in two workspaces is two prompts, and a change in one never serves or
// evicts the other's.
//
// Freshness: every save and label move publishes "prompts:<workspace id>/<name>"
// over LISTEN/NOTIFY after its commit, and every instance drops that prompt's
// entries when the notification arrives (milliseconds; the test bounds it
// under 1 s). Two races are closed explicitly:
// - an entry is cached only once a change committed after the read is sure to
//   reach us (willHearInvalidations: LISTENing, or reconnecting, when the
//   reconnect delivers "*");
// - a load that overlapped an invalidation is served but not cached (the
//   per-name generation changed while it ran), so a stale read never sticks.
// A reconnect of the listening connection delivers "*" (drop everything, from
// a database that has just answered); the TTL is a backstop on top of that.
// Past its TTL an entry is still served while it is reloaded in the
// background, and kept (for another TTL) when that reload cannot reach the
// database: a completion whose prompt is in memory never waits on the
// database, and an outage does not fail it (faults #14.3).

const TTL_MS = 60_000;
const TOPIC = "prompts";
const GLOBALS_TOPIC = "prompt-globals";

export type ResolvedPrompt = {
  prompt: { id: string; name: string };
  version: VersionView;
  /** The label that selected the version; null when the caller named a version. */
  label: string | null;
};

export type PromptSelection = { label?: string; version?: number };

type Entry = { value: ResolvedPrompt; at: number };
type State = {
  /** By "<workspace id>/<name>", then by selection. */
  entries: Map<string, Map<string, Entry>>;
  gens: Map<string, number>;
  epoch: number;
  /** By workspace id. */
  globals: Map<string, { values: Record<string, unknown>; at: number }>;
  globalsGens: Map<string, number>;
  /**
   * Compositions (compose.ts) by the including version's id, with the prompts they read
   * ("<workspace id>/<name>"): dropping any of those drops the composition.
   */
  composed: Map<string, { value: unknown; deps: Set<string>; at: number }>;
  /** Counts every drop: a composition built while one happened is served but not cached. */
  tick: number;
  subscribed: boolean;
};
const g = globalThis as typeof globalThis & { __pgPromptsWs?: State };
const state: State = (g.__pgPromptsWs ??= { entries: new Map(), gens: new Map(), epoch: 0, globals: new Map(), globalsGens: new Map(), composed: new Map(), tick: 0, subscribed: false });
// A dev server's hot reload keeps the state of an older module version.
state.composed ??= new Map();
state.tick ??= 0;

/** The cache and notification key of one workspace's prompt (a uuid and a slug: neither contains "/"). */
const scoped = (workspaceId: string, name: string) => `${workspaceId}/${name}`;

function forget(name: string | null): void {
  state.tick++;
  if (!name || name === "*") {
    state.epoch++;
    state.entries.clear();
    state.composed.clear();
    return;
  }
  state.gens.set(name, (state.gens.get(name) ?? 0) + 1);
  state.entries.delete(name);
  // A parent holds the text of what it includes: a move of an included prompt's label drops every
  // parent that read it, here and (on the same notification) on every other instance.
  for (const [key, c] of state.composed) if (c.deps.has(name)) state.composed.delete(key);
}

function forgetGlobals(workspaceId: string | null): void {
  if (!workspaceId || workspaceId === "*") {
    state.epoch++;
    state.globals.clear();
    return;
  }
  state.globalsGens.set(workspaceId, (state.globalsGens.get(workspaceId) ?? 0) + 1);
  state.globals.delete(workspaceId);
}

function subscribe(): void {
  if (state.subscribed) return;
  state.subscribed = true;
  onInvalidate(TOPIC, (payload) => forget(payload || "*"));
  onInvalidate(GLOBALS_TOPIC, (payload) => forgetGlobals(payload || "*"));
}

const generation = (name: string) => `${state.epoch}:${state.gens.get(name) ?? 0}`;

// Background reloads in flight, one per entry.
const refreshing = new Set<string>();

/** Serves `entry` past its TTL while `reload` runs behind the request; a reload that cannot reach the database keeps it another TTL. */
function refreshBehind(id: string, entry: { at: number }, reload: () => Promise<unknown>, drop: () => void): void {
  if (refreshing.has(id)) return;
  refreshing.add(id);
  reload()
    .catch((err: unknown) => {
      if (!isDatabaseUnreachable(err)) return drop();
      entry.at = Date.now();
      logger.warn({ err }, "could not reload a cached prompt; serving the cached one");
    })
    .finally(() => refreshing.delete(id));
}

const promptNotFound = (name: string) =>
  new AppError("not_found", `Prompt '${name}' not found`, { param: "prompt", extra: { code: "prompt_not_found" } });

async function load(workspaceId: string, name: string, sel: PromptSelection): Promise<ResolvedPrompt> {
  if (sel.version) {
    const row = await db.promptVersion.findFirst({ where: { version: sel.version, prompt: { workspaceId, name } }, include: { prompt: { select: { id: true, name: true } } } });
    if (row) return { prompt: row.prompt, version: toVersionView(row), label: null };
    if (!(await db.prompt.count({ where: { workspaceId, name } }))) throw promptNotFound(name);
    throw new AppError("not_found", `Prompt '${name}' has no version ${sel.version}`, { param: "version", extra: { code: "version_not_found" } });
  }
  const label = sel.label ?? DEFAULT_LABEL;
  const row = await db.promptLabel.findFirst({
    where: { name: label, prompt: { workspaceId, name } },
    include: { version: true, prompt: { select: { id: true, name: true } } },
  });
  if (row) return { prompt: row.prompt, version: toVersionView(row.version), label };
  if (!(await db.prompt.count({ where: { workspaceId, name } }))) throw promptNotFound(name);
  throw new AppError("not_found", `Prompt '${name}' has no label '${label}'`, { param: "label", extra: { code: "label_not_found" } });
}

/**
 * The version a request selects: by `version`, else by `label` (default
 * `production`). Throws 404 for an unknown prompt, label or version.
 * Experiments hook in above this: a variant may pass its own version.
 */
export async function resolvePrompt(workspaceId: string, name: string, sel: PromptSelection = {}): Promise<ResolvedPrompt> {
  subscribe();
  const id = scoped(workspaceId, name);
  const key = sel.version ? `v:${sel.version}` : `l:${sel.label ?? DEFAULT_LABEL}`;
  const hit = state.entries.get(id)?.get(key);
  if (hit) {
    if (Date.now() - hit.at >= TTL_MS) {
      refreshBehind(`${id}\u0000${key}`, hit, () => loadAndCache(workspaceId, name, key, sel), () => state.entries.get(id)?.delete(key));
    }
    return hit.value;
  }
  return loadAndCache(workspaceId, name, key, sel);
}

async function loadAndCache(workspaceId: string, name: string, key: string, sel: PromptSelection): Promise<ResolvedPrompt> {
  const id = scoped(workspaceId, name);
  const canCache = await willHearInvalidations();
  const gen = generation(id);
  const value = await load(workspaceId, name, sel);
  if (canCache && gen === generation(id)) {
    let forName = state.entries.get(id);
    if (!forName) state.entries.set(id, (forName = new Map()));
    forName.set(key, { value, at: Date.now() });
  }
  return value;
}

const COMPOSED_MAX = 1000;

/**
 * A composition cached by `key` (the including version's id: versions are immutable), dropped when
 * any prompt in its `deps` changes, and rebuilt past the TTL (from the resolution cache, which
 * serves stale entries while it reloads, so a rebuild does not wait on the database either).
 */
export async function cachedComposition<T>(key: string, build: () => Promise<{ value: T; deps: string[] }>): Promise<T> {
  subscribe();
  const hit = state.composed.get(key);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.value as T;
  const canCache = await willHearInvalidations();
  const tick = state.tick;
  const { value, deps } = await build();
  if (canCache && tick === state.tick) {
    if (state.composed.size >= COMPOSED_MAX) state.composed.delete(state.composed.keys().next().value as string);
    state.composed.set(key, { value, deps: new Set(deps), at: Date.now() });
  }
  return value;
}

/** The cache and notification key of a prompt, as compositions list their dependencies. */
export const scopedPromptKey = scoped;

/** A workspace's global variables as a name → value map, cached and invalidated like prompts. */
export async function globalValues(workspaceId: string): Promise<Record<string, unknown>> {
  subscribe();
  const hit = state.globals.get(workspaceId);
  if (hit) {
    if (Date.now() - hit.at >= TTL_MS) refreshBehind(`\u0000globals/${workspaceId}`, hit, () => loadGlobals(workspaceId), () => forgetGlobals(workspaceId));
    return hit.values;
  }
  return loadGlobals(workspaceId);
}

const globalsGeneration = (workspaceId: string) => `${state.epoch}:${state.globalsGens.get(workspaceId) ?? 0}`;

async function loadGlobals(workspaceId: string): Promise<Record<string, unknown>> {
  const canCache = await willHearInvalidations();
  const gen = globalsGeneration(workspaceId);
  const rows = await db.globalVariable.findMany({ where: { workspaceId }, select: { name: true, value: true } });
  const values = Object.fromEntries(rows.map((r) => [r.name, r.value as unknown]));
  if (canCache && gen === globalsGeneration(workspaceId)) state.globals.set(workspaceId, { values, at: Date.now() });
  return values;
}

async function publish(topic: string, payload: string): Promise<void> {
  await publishInvalidation(topic, payload).catch((err: unknown) =>
    logger.warn({ err, topic, payload }, "could not publish a prompt change; other instances catch up within the cache TTL"),
  );
}

/** After a committed change: this instance forgets at once, the others on the notification. */
export async function invalidatePrompt(workspaceId: string, name: string): Promise<void> {
  const id = scoped(workspaceId, name);
  forget(id);
  await publish(TOPIC, id);
}

export async function invalidateGlobals(workspaceId: string): Promise<void> {
  forgetGlobals(workspaceId);
  await publish(GLOBALS_TOPIC, workspaceId);
}
