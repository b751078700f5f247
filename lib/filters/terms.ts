import "server-only";
import type { Detector, Match } from "./detectors";

// Sensitive words and phrases: one Aho-Corasick automaton over case-folded
// UTF-16 code units, so 1,000 terms cost one pass over the text, not 1,000.

export type Term = { text: string; wholeWord: boolean };

let foldTable: Uint16Array | undefined;

/** Lower-cases one code unit; characters whose lower case is longer stay as they are. */
function foldCode(c: number): number {
  if (c < 128) return c >= 65 && c <= 90 ? c + 32 : c;
  if (!foldTable) {
    foldTable = new Uint16Array(65536);
    for (let i = 0; i < 65536; i++) {
      const l = String.fromCharCode(i).toLowerCase();
      foldTable[i] = l.length === 1 ? l.charCodeAt(0) : i;
    }
  }
  return foldTable[c]!;
}

const WORD = /[\p{L}\p{N}_]/u;
const isWordAt = (s: string, i: number) => i >= 0 && i < s.length && WORD.test(s[i]!);

type Terminal = { len: number; before: boolean; after: boolean };

export function termsDetector(terms: Term[]): Detector | null {
  const next: Map<number, number>[] = [new Map()];
  const depth: number[] = [0];
  const terminal: (Terminal | undefined)[] = [undefined];
  let maxTerm = 0;
  let needsLookahead = false;

  for (const t of terms) {
    if (!t.text) continue;
    let node = 0;
    for (let i = 0; i < t.text.length; i++) {
      const c = foldCode(t.text.charCodeAt(i));
      let n = next[node]!.get(c);
      if (n === undefined) {
        n = next.length;
        next.push(new Map());
        depth.push(depth[node]! + 1);
        terminal.push(undefined);
        next[node]!.set(c, n);
      }
      node = n;
    }
    const before = t.wholeWord && WORD.test(t.text[0]!);
    const after = t.wholeWord && WORD.test(t.text[t.text.length - 1]!);
    const prev = terminal[node];
    // The same term listed twice: the looser requirement wins (it matches a superset).
    terminal[node] = prev ? { len: t.text.length, before: prev.before && before, after: prev.after && after } : { len: t.text.length, before, after };
    maxTerm = Math.max(maxTerm, t.text.length);
    if (after) needsLookahead = true;
  }
  if (maxTerm === 0) return null;

  // Failure links and output (dictionary suffix) links, breadth first.
  const fail = new Int32Array(next.length);
  const dict = new Int32Array(next.length).fill(-1);
  const queue: number[] = [];
  for (const [, n] of next[0]!) queue.push(n);
  for (let qi = 0; qi < queue.length; qi++) {
    const u = queue[qi]!;
    for (const [c, v] of next[u]!) {
      let f = fail[u]!;
      while (f !== 0 && !next[f]!.has(c)) f = fail[f]!;
      const to = next[f]!.get(c);
      fail[v] = to !== undefined && to !== v ? to : 0;
      dict[v] = terminal[fail[v]!] ? fail[v]! : dict[fail[v]!]!;
      queue.push(v);
    }
  }

  const step = (node: number, c: number): number => {
    for (;;) {
      const n = next[node]!.get(c);
      if (n !== undefined) return n;
      if (node === 0) return 0;
      node = fail[node]!;
    }
  };

  const maxLen = maxTerm + (needsLookahead ? 1 : 0);

  return {
    name: "terms",
    maxLen,
    hold(s, from) {
      let node = 0;
      for (let i = Math.max(from, s.length - maxTerm); i < s.length; i++) node = step(node, foldCode(s.charCodeAt(i)));
      // The longest suffix that a longer term could extend, or that is a whole
      // term still waiting for the character after it.
      while (node !== 0) {
        const t = terminal[node];
        if (next[node]!.size > 0 || (t && t.after)) return depth[node]!;
        node = fail[node]!;
      }
      return 0;
    },
    find(s, from, final) {
      let node = 0;
      let best: Match | null = null;
      for (let i = from; i < s.length; i++) {
        if (best && i >= best.start + maxTerm) break;
        node = step(node, foldCode(s.charCodeAt(i)));
        for (let n = terminal[node] ? node : dict[node]!; n > 0; n = dict[n]!) {
          const t = terminal[n]!;
          const start = i + 1 - t.len;
          const end = i + 1;
          if (t.before && isWordAt(s, start - 1)) continue;
          if (t.after && (end < s.length ? isWordAt(s, end) : !final)) continue;
          if (!best || start < best.start || (start === best.start && end > best.end)) best = { start, end };
        }
      }
      return best;
    },
  };
}
