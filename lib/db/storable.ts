// What Postgres cannot store: NUL in text and jsonb, and UTF-16 halves without
// their pair (jsonb refuses the escape; Prisma's JSON handling fails on it). A
// client can send both in any JSON string, so every write replaces them with
// U+FFFD rather than failing with a 500 or, in a usage batch, failing every
// event written with it. The regex test keeps the common case allocation-free.

// eslint-disable-next-line no-control-regex -- NUL is exactly the character Postgres cannot store
const UNSTORABLE = /\u0000|[\uD800-\uDFFF]/;
// eslint-disable-next-line no-control-regex -- as above
const BAD_CHARS = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The text as Postgres can store it (text and jsonb alike); the same string when nothing needs replacing. */
export function storableText(s: string): string {
  return UNSTORABLE.test(s) ? s.replace(BAD_CHARS, "\uFFFD") : s;
}

/**
 * storableText applied to every string (and object key) in plain objects and
 * arrays; class instances (Date, Decimal, Buffer, Prisma's JSON nulls) are left
 * as they are. Returns the same value when nothing needs replacing.
 */
export function storableDeep<T>(value: T): T {
  if (typeof value === "string") return storableText(value) as T;
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v = storableDeep(value[i]);
      if (v !== value[i]) (out ??= value.slice())[i] = v;
    }
    return (out ?? value) as T;
  }
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    let out: Record<string, unknown> | null = null;
    const entries = Object.entries(value as Record<string, unknown>);
    for (const [k, v] of entries) {
      const key = storableText(k);
      const val = storableDeep(v);
      if (key !== k || val !== v) {
        out ??= Object.fromEntries(entries);
        if (key !== k) delete out[k];
        out[key] = val;
      }
    }
    return (out ?? value) as T;
  }
  return value;
}
