// Client-safe (no "server-only"): the compare view diffs two streamed outputs
// in the browser with the same word diff the version diff uses on the server.
import { diffWords } from "diff";
import type { WordChange } from "./schemas";

/** Word-level changes from `before` to `after`; joined, the unadded parts give `before` and the unremoved ones `after`. */
export function wordDiff(before: string, after: string): WordChange[] {
  return diffWords(before, after).map((p) => ({ value: p.value, ...(p.added ? { added: true } : {}), ...(p.removed ? { removed: true } : {}) }));
}

const countWords = (s: string) => s.split(/\s+/).filter(Boolean).length;

/** How many words each side has that the other lacks, and how many they share. */
export function wordDiffStats(parts: WordChange[]): { added: number; removed: number; same: number } {
  const out = { added: 0, removed: 0, same: 0 };
  for (const p of parts) out[p.added ? "added" : p.removed ? "removed" : "same"] += countWords(p.value);
  return out;
}
