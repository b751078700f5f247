// The static response headers every response carries, in one place: next.config.mjs applies them
// to what Next serves, and the production server's fast door (scripts/lib/fast-door.ts) to what it
// serves, so both doors answer with the same headers.

export const baseHeaders = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
];

/** Added to every /api/* response. */
export const apiHeaders = [{ key: "Content-Security-Policy", value: "default-src 'none'; frame-ancestors 'none'" }];

/** Added when the request came over https (a proxy's x-forwarded-proto). */
export const httpsHeaders = [{ key: "Strict-Transport-Security", value: "max-age=63072000; includeSubDomains" }];
