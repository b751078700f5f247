// The one model-pattern matcher: accounts (models, per-model overrides), API key
// `model:` scopes, quota policies and per-model routing strategies all use it.
// Client-safe and dependency-free.
//
// Patterns are admin-written and names come from clients, so the matcher must
// stay cheap whatever the pair. A pattern compiled to a regex (`*` → `.*`)
// backtracks exponentially in the number of stars: `*-*-*-*-*x` against 256
// dashes held the event loop for over 60 s. Two pointers with one resume point
// (only the last star is ever extended; an earlier one never needs to be, as
// the last can absorb anything it could) never revisit more than
// |pattern| × |name| steps, and in practice one pass.

const STAR = 42; // "*"

/** True when `name` matches `pattern`, where `*` is any run of characters (even none) and everything else is literal. */
export function wildcardMatch(pattern: string, name: string): boolean {
  const m = pattern.length;
  const n = name.length;
  let p = 0;
  let s = 0;
  let star = -1; // index of the last star seen in the pattern
  let resume = 0; // where in the name that star's run currently ends
  while (s < n) {
    const c = p < m ? pattern.charCodeAt(p) : -1;
    if (c === STAR) {
      star = p++;
      resume = s;
    } else if (c === name.charCodeAt(s)) {
      p++;
      s++;
    } else if (star >= 0) {
      p = star + 1;
      s = ++resume;
    } else {
      return false;
    }
  }
  while (p < m && pattern.charCodeAt(p) === STAR) p++;
  return p === m;
}
