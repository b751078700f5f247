import "server-only";
import type { StreamMasker } from "./stream-masker";

// Masks tool-call arguments: JSON that arrives in pieces. Only the insides of
// string literals are masked, each literal with its own StreamMasker (so a
// match never spans two strings, and a number that looks like a phone number
// is never starred into invalid JSON). Escapes are kept as written: a match
// over an escaped character is simply not found. The masked result is valid
// JSON whenever the input is and the replacement has no quote or backslash.

export class JsonStringMasker {
  private inString = false;
  private escaped = false;
  private masker: StreamMasker | null = null;

  constructor(private readonly newMasker: () => StreamMasker | null) {}

  push(piece: string): string {
    let out = "";
    let run = ""; // string-literal characters of this piece not yet given to the masker
    for (const ch of piece) {
      if (!this.inString) {
        out += ch;
        if (ch === '"') {
          this.inString = true;
          this.masker = this.newMasker();
        }
        continue;
      }
      if (this.escaped) {
        this.escaped = false;
        run += ch;
      } else if (ch === "\\") {
        this.escaped = true;
        run += ch;
      } else if (ch === '"') {
        out += this.release(run) + (this.masker?.end() ?? "") + ch;
        run = "";
        this.inString = false;
        this.masker = null;
      } else run += ch;
    }
    return out + this.release(run);
  }

  /** Everything still held: the arguments are complete (or the stream ended). */
  end(): string {
    const rest = this.masker?.end() ?? "";
    this.masker = null;
    this.inString = false;
    return rest;
  }

  private release(run: string): string {
    if (!run) return "";
    return this.masker ? this.masker.push(run) : run;
  }
}

/** Masks a whole arguments string at once (non-streamed completions). */
export function maskJsonStrings(newMasker: () => StreamMasker | null, json: string): string {
  const m = new JsonStringMasker(newMasker);
  return m.push(json) + m.end();
}
