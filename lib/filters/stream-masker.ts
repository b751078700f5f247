import "server-only";
import type { Detector, Match } from "./detectors";

// Masks matches in text that arrives in pieces, with exactly the result of
// masking the whole text at once (tests/unit/filters/stream-masker.test.ts
// checks this for random texts and random chunkings).
//
// Semantics (whole text): scan from p; every detector reports its leftmost
// match starting at or after p; the leftmost of those wins (the longest on a
// tie); it is masked and the scan resumes at its end.
//
// Streaming: after each piece, every detector says how many trailing characters
// could still belong to a match it cannot decide yet (`hold`, at most its
// maxLen - 1). Matches starting before `cut` = length - max(hold) are then
// provably the ones the whole text has, so everything before the cut (or
// before the end of a match straddling it) is released; the rest is held.

export type MaskResult = { text: string; matches: number; kinds: Set<string> };

export class StreamMasker {
  private ctx = ""; // the last released original character: look-behind context
  private buf = ""; // original text not yet released
  matches = 0;
  readonly kinds = new Set<string>();

  constructor(
    private readonly detectors: Detector[],
    private readonly replacement: string,
  ) {}

  /** The most characters this masker ever holds back. */
  get maxHold(): number {
    return Math.max(0, ...this.detectors.map((d) => d.maxLen - 1));
  }

  /** Characters currently held back. */
  get held(): number {
    return this.buf.length;
  }

  push(piece: string): string {
    if (!piece) return "";
    this.buf += piece;
    return this.process(false);
  }

  /** Releases everything held: the stream has ended. */
  end(): string {
    return this.buf ? this.process(true) : "";
  }

  private process(final: boolean): string {
    const w = this.ctx + this.buf;
    const base = this.ctx.length;
    let hold = 0;
    if (!final) for (const d of this.detectors) hold = Math.max(hold, d.hold(w, base));
    const cut = w.length - hold;
    const found: (Match | null | undefined)[] = new Array(this.detectors.length);
    let out = "";
    let p = base;
    for (;;) {
      let best: Match | null = null;
      let kind = "";
      for (let i = 0; i < this.detectors.length; i++) {
        let m = found[i];
        // A cached leftmost match stays the leftmost from any later p up to its start.
        if (m === undefined || (m !== null && m.start < p)) m = found[i] = this.detectors[i]!.find(w, p, final);
        if (m && (!best || m.start < best.start || (m.start === best.start && m.end > best.end))) {
          best = m;
          kind = this.detectors[i]!.name;
        }
      }
      if (!best || best.start >= cut) break;
      out += w.slice(p, best.start) + this.mask(w.slice(best.start, best.end));
      this.matches++;
      this.kinds.add(kind);
      p = best.end;
    }
    const commit = Math.max(p, cut);
    out += w.slice(p, commit);
    if (commit > base) this.ctx = w.slice(commit - 1, commit);
    this.buf = w.slice(commit);
    return out;
  }

  private mask(s: string): string {
    let out = "";
    for (const ch of s) out += ch === "\n" ? ch : this.replacement;
    return out;
  }
}

/** Masks a whole text in one go (request content, non-streamed completions). */
export function maskAll(detectors: Detector[], replacement: string, text: string): MaskResult {
  const m = new StreamMasker(detectors, replacement);
  const out = m.push(text) + m.end();
  return { text: out, matches: m.matches, kinds: m.kinds };
}
