import "server-only";
import type { PiiDetector } from "./schemas";

// A detector finds matches in a working string. Two properties make streaming
// exact (see stream-masker.ts): every character of a match belongs to the
// detector's `chars` class, and a match plus its one character of look-ahead is
// at most `maxLen` long. Look-behind inspects one character; look-ahead one, or
// more only when those characters are themselves in `chars` (counted in maxLen).

export type Match = { start: number; end: number };

export type Detector = {
  name: string;
  /** Longest match, plus one when the detector must see the character after it. */
  maxLen: number;
  /**
   * How many trailing characters of `s` (from `from` on) could still be the
   * start of a match whose outcome depends on text not seen yet.
   */
  hold(s: string, from: number): number;
  /** The leftmost match starting at or after `from`; `final` means `s` is the whole rest of the text. */
  find(s: string, from: number, final: boolean): Match | null;
};

type RegexSpec = {
  name: PiiDetector;
  re: RegExp;
  chars: RegExp;
  maxLen: number;
  valid?: (m: string) => boolean;
  /** Characters every match contains at least one of: text without any is skipped without running the regex. */
  needs?: string;
};

function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

function ibanValid(raw: string): boolean {
  const s = raw.replace(/ /g, "");
  if (s.length < 15 || s.length > 34) return false;
  const moved = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const c = ch.charCodeAt(0);
    const v = c >= 65 ? String(c - 55) : ch;
    for (const d of v) rem = (rem * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";

// Bounded quantifiers everywhere: the streaming bound depends on maxLen being true.
export const regexSpecs: Record<PiiDetector, RegexSpec> = {
  email: {
    name: "email",
    needs: "@",
    re: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,6}[A-Za-z]{2,24}(?![A-Za-z0-9-])/g,
    chars: /[A-Za-z0-9._%+@-]/,
    maxLen: 64 + 1 + 6 * 64 + 24 + 1,
  },
  phone: {
    name: "phone",
    needs: "0123456789",
    re: /(?<![\w+.-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-]?)\d{3,4}[ .-]?\d{3,4}(?![\w-])/g,
    chars: /[0-9+(). -]/,
    maxLen: 5 + 7 + 5 + 4 + 1,
    valid: (m) => {
      const n = m.replace(/\D/g, "").length;
      return n >= 9 && n <= 15;
    },
  },
  credit_card: {
    name: "credit_card",
    needs: "0123456789",
    re: /(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])/g,
    chars: /[0-9 -]/,
    maxLen: 19 + 18 + 1,
    valid: (m) => luhn(m.replace(/\D/g, "")),
  },
  iban: {
    name: "iban",
    needs: "0123456789",
    re: /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])/g,
    chars: /[A-Z0-9 ]/,
    maxLen: 4 + 7 * 5 + 4 + 1,
    valid: ibanValid,
  },
  ipv4: {
    name: "ipv4",
    needs: ".",
    // Looks two characters ahead (".5" continues a dotted number); both are in `chars`, so the hold still covers them.
    re: new RegExp(`(?<![\\d.])(?:${OCTET}\\.){3}${OCTET}(?!\\.?\\d)`, "g"),
    chars: /[0-9.]/,
    maxLen: 15 + 2,
  },
  api_key: {
    name: "api_key",
    re: /(?<![A-Za-z0-9_-])(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,160}|pgk_[A-Za-z0-9]{40}|gh[pousr]_[A-Za-z0-9]{36,80}|github_pat_[A-Za-z0-9_]{22,255}|AKIA[0-9A-Z]{16}|xox[abprs]-[A-Za-z0-9-]{10,100}|AIza[0-9A-Za-z_-]{35})(?![A-Za-z0-9_-])/g,
    chars: /[A-Za-z0-9_-]/,
    maxLen: 11 + 255 + 1,
  },
};

export function regexDetector(spec: RegexSpec): Detector {
  const re = new RegExp(spec.re.source, spec.re.flags.includes("g") ? spec.re.flags : `${spec.re.flags}g`);
  // ASCII membership as a table: hold() runs on every chunk.
  const ascii = new Uint8Array(128);
  for (let c = 0; c < 128; c++) ascii[c] = spec.chars.test(String.fromCharCode(c)) ? 1 : 0;
  const inChars = (code: number, ch: string) => (code < 128 ? ascii[code] === 1 : spec.chars.test(ch));
  const needs = spec.needs ? new Set(Array.from(spec.needs, (c) => c.charCodeAt(0))) : null;
  return {
    name: spec.name,
    maxLen: spec.maxLen,
    hold(s, from) {
      // The trailing run of characters a match could consist of, capped: any
      // undecided match lies inside it.
      const cap = spec.maxLen - 1;
      let n = 0;
      for (let i = s.length - 1; i >= from && n < cap; i--, n++) if (!inChars(s.charCodeAt(i), s[i]!)) break;
      return n;
    },
    find(s, from) {
      if (needs) {
        let any = false;
        for (let i = from; i < s.length && !any; i++) any = needs.has(s.charCodeAt(i));
        if (!any) return null;
      }
      re.lastIndex = from;
      for (;;) {
        const m = re.exec(s);
        if (!m) return null;
        // The preferred match at a start either validates or that start has no match.
        if (!spec.valid || spec.valid(m[0])) return { start: m.index, end: m.index + m[0].length };
        re.lastIndex = m.index + 1;
      }
    },
  };
}

export const piiDetector = (name: PiiDetector): Detector => regexDetector(regexSpecs[name]);
