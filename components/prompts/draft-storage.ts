// The editor's unsaved draft in the browser's local storage, one entry per
// workspace, prompt and opened version, so a reload (or a crash) loses nothing.
// Server data never goes here: only what the user typed and has not saved.
import { rowId, type Draft } from "./draft";

const PREFIX = "promptgate.draft.v1:";

export type StoredDraft = { savedAt: number; baseVersion: number | null; draft: Draft };

export const draftStorageKey = (workspaceId: string, name: string, version: number | null) => `${PREFIX}${workspaceId}/${name}@${version ?? 0}`;

function storage(): Storage | null {
  try {
    return typeof window === "undefined" ? null : window.localStorage;
  } catch {
    // Storage can be switched off (private modes, policies): then drafts just aren't kept.
    return null;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/** A stored entry, or null when there is none or it is not a draft (edited by hand, an older format). */
function parse(raw: string | null): StoredDraft | null {
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as unknown;
    if (!isObject(v) || typeof v.savedAt !== "number" || !isObject(v.draft)) return null;
    const d = v.draft;
    if ((d.type !== "chat" && d.type !== "text") || !Array.isArray(d.messages) || !Array.isArray(d.variables) || !isObject(d.config) || typeof d.text !== "string") return null;
    const draft = d as unknown as Draft;
    // Row ids restart with each page load: fresh ones keep React keys and row edits unambiguous.
    return {
      savedAt: v.savedAt,
      baseVersion: typeof v.baseVersion === "number" ? v.baseVersion : null,
      draft: { ...draft, messages: draft.messages.map((m) => ({ ...m, id: rowId() })), variables: draft.variables.map((x) => ({ ...x, id: rowId() })) },
    };
  } catch {
    return null;
  }
}

export function readStoredDraft(key: string): StoredDraft | null {
  return parse(storage()?.getItem(key) ?? null);
}

export function writeStoredDraft(key: string, entry: StoredDraft): void {
  try {
    storage()?.setItem(key, JSON.stringify(entry));
  } catch {
    // Quota exceeded: the draft stays in memory; nothing else depends on it being stored.
  }
}

export function clearStoredDraft(key: string): void {
  storage()?.removeItem(key);
}

/** The most recently stored draft of a prompt, whichever version it was opened on: the compare view's "unsaved draft". */
export function latestStoredDraft(workspaceId: string, name: string): (StoredDraft & { key: string }) | null {
  const s = storage();
  if (!s) return null;
  const prefix = `${PREFIX}${workspaceId}/${name}@`;
  let best: (StoredDraft & { key: string }) | null = null;
  for (let i = 0; i < s.length; i++) {
    const key = s.key(i);
    if (!key?.startsWith(prefix) || !/^\d+$/.test(key.slice(prefix.length))) continue;
    const entry = parse(s.getItem(key));
    if (entry && (!best || entry.savedAt > best.savedAt)) best = { ...entry, key };
  }
  return best;
}

/** Two drafts say the same thing when they differ at most in row ids. */
export function sameDraft(a: Draft, b: Draft): boolean {
  const strip = (d: Draft) => JSON.stringify({
    ...d,
    messages: d.messages.map(({ id: _id, ...m }) => m),
    variables: d.variables.map(({ id: _id, ...v }) => v),
  });
  return strip(a) === strip(b);
}
