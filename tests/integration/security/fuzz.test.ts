// Malformed input never causes a 5xx: fast-check generates wrong types,
// missing and extra fields, huge strings, deep nesting, invalid UTF-8, broken
// JSON and invalid headers for every route in the RBAC matrix (every public
// and admin API route), sent over raw HTTP to the production build with
// credentials that get past authentication. Every 4xx must carry a clear
// message in the route's error envelope.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routeRules, type RouteRule } from "@/lib/auth/rbac-matrix";
import { closeDb } from "@/lib/db";
import { startApp, type AppServer } from "../../support/app-server";
import { authHeaders, fillPath, makeCallers, rawRequest, type Caller, type Callers } from "./support";

const RUNS_PER_ROUTE = 26;

// Plausible field names, so generated objects hit real schema fields with wrong types.
const fieldNames = ["model", "messages", "name", "scopes", "expiresAt", "provider", "baseUrl", "apiKey", "models", "enabled", "weight", "role", "content",
  "stream", "prompt", "variables", "version", "label", "template", "limit", "window", "grant_type", "refresh_token", "api_key", "value", "id", "from", "to"];

const wrongScalar = fc.oneof(
  fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 40 }), fc.constant(""),
  fc.constant("x".repeat(300_000)), fc.constant(-1), fc.constant(Number.MAX_SAFE_INTEGER), fc.constant("1e309"), fc.constant("\u0000"), fc.constant("💥".repeat(50)),
);
const jsonish = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, wrongScalar, fc.array(tie("value"), { maxLength: 4 }), fc.dictionary(fc.constantFrom(...fieldNames), tie("value"), { maxKeys: 6 })),
})).value;

function deepNest(depth: number, kind: "array" | "object"): string {
  return kind === "array" ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
}

type Body = { bytes?: Buffer | string; contentType?: string; label: string };
const bodyArb: fc.Arbitrary<Body> = fc.oneof(
  jsonish.map((v) => ({ bytes: JSON.stringify(v) ?? "null", contentType: "application/json", label: "json" })),
  fc.dictionary(fc.constantFrom(...fieldNames), jsonish, { maxKeys: 8 }).map((v) => ({ bytes: JSON.stringify(v), contentType: "application/json", label: "object" })),
  fc.constantFrom(10, 1000, 20_000).chain((d) => fc.constantFrom<"array" | "object">("array", "object").map((k) => ({ bytes: deepNest(d, k), contentType: "application/json", label: `nest-${k}-${d}` }))),
  fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => ({ bytes: Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from(b), Buffer.from('"}')]), contentType: "application/json", label: "invalid-utf8" })),
  fc.string({ maxLength: 60 }).map((s) => ({ bytes: `{${s}`, contentType: "application/json", label: "broken-json" })),
  fc.constant({ bytes: "", contentType: "application/json", label: "empty" }),
  fc.constant({ bytes: "name=x&scopes=admin", contentType: "application/x-www-form-urlencoded", label: "form" }),
  fc.constant({ bytes: Buffer.alloc(2_000_000, 0x61), contentType: "application/json", label: "too-large" }),
  fc.constant({ label: "none" }),
);

const headerArb = fc.oneof(
  fc.constant<Record<string, string>>({}),
  fc.constantFrom<Record<string, string>>(
    { "x-request-id": "bad id with spaces\u00ff" },
    { "x-request-id": "x".repeat(5000) },
    { "x-promptgate-timestamp": "not-a-number", "x-promptgate-signature": "zz" },
    { "x-promptgate-timestamp": "99999999999999999999", "x-promptgate-signature": "0".repeat(64) },
    { accept: "\u00ff\u00fe" },
    { "content-type": "text/plain; charset=\u00e9" },
    { "x-forwarded-for": "not-an-ip, \u00ff" },
  ),
);

const authVariant = fc.constantFrom<"good" | "bearer-garbage" | "bearer-latin1" | "basic" | "empty-bearer" | "huge" | "jwt-garbage">(
  "good", "good", "good", "good", "bearer-garbage", "bearer-latin1", "basic", "empty-bearer", "huge", "jwt-garbage",
);

function credentials(rule: RouteRule, callers: Callers): Caller {
  // The strongest caller the matrix allows, so the input reaches the handler.
  const order = ["admin", "adminKey", "apiKey", "editor", "viewer", "anonymous"] as const;
  const who = order.find((a) => rule.allow.includes(a)) ?? "anonymous";
  return callers[who];
}

function authFor(variant: string, good: Caller): Record<string, string> {
  switch (variant) {
    case "good": return authHeaders(good);
    case "bearer-garbage": return { authorization: "Bearer pgk_notARealKeyAtAll0000000000000000" };
    case "bearer-latin1": return { authorization: "Bearer \u00ff\u00fe\u00e9pgk" };
    case "basic": return { authorization: "Basic dXNlcjpwYXNz" };
    case "empty-bearer": return { authorization: "Bearer " };
    case "huge": return { authorization: `Bearer ${"a".repeat(7000)}` };
    default: return { authorization: "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.x" };
  }
}

describe("fuzzing every public and admin API route", () => {
  let app: AppServer;
  let callers: Callers;
  let sent = 0;
  const byStatus = new Map<number, number>();

  beforeAll(async () => {
    app = await startApp({ MAX_BODY_BYTES: "1048576" });
    callers = await makeCallers(app.url, "fuzz");
  }, 600_000);

  afterAll(async () => {
    await app?.stop();
    await closeDb();
  });

  it(`never answers malformed input with a 5xx, and explains every 4xx (${RUNS_PER_ROUTE} inputs per route method)`, async () => {
    const failures: string[] = [];
    for (const rule of routeRules) {
      const good = credentials(rule, callers);
      const failedBefore = failures.length;
      await fc.assert(
        fc.asyncProperty(bodyArb, headerArb, authVariant, fc.string({ maxLength: 30 }), async (body, headers, auth, query) => {
          const path = fillPath(rule.path, { name: query.slice(0, 10) || "x", label: "lbl", version: query.length % 2 ? "abc" : "-1" }) + `?q=${encodeURIComponent(query)}&from=${encodeURIComponent(query)}&limit=${encodeURIComponent(query)}`;
          const hasBody = body.bytes !== undefined && rule.method !== "GET";
          const res = await rawRequest(
            app.url, rule.method, path,
            { ...headers, ...authFor(auth, good), ...(hasBody && body.contentType ? { "content-type": body.contentType } : {}) },
            hasBody ? body.bytes : undefined,
          );
          sent++;
          byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
          const what = `${rule.method} ${path.slice(0, 80)} body=${body.label} auth=${auth} headers=${JSON.stringify(headers).slice(0, 60)} → ${res.status} ${res.text.slice(0, 200)}`;
          if (res.status >= 500) {
            failures.push(what);
            return false;
          }
          if (res.status >= 400) {
            let message: unknown;
            try {
              message = (JSON.parse(res.text) as { error?: { message?: unknown } }).error?.message;
            } catch {
              message = undefined;
            }
            // Node's own parser answers some header abuse (431) before the app sees it, without a body.
            if (res.status === 431) return true;
            if (typeof message !== "string" || message.length < 8 || message === "Internal server error") {
              failures.push(`unclear 4xx: ${what}`);
              return false;
            }
          }
          return true;
        }),
        { numRuns: RUNS_PER_ROUTE, endOnFailure: true },
      ).catch((err: unknown) => {
        // A false property already said why; a thrown one (a reset socket, a timeout) must count too.
        if (failures.length === failedBefore) failures.push(`${rule.method} ${rule.path}: ${String(err).slice(0, 300)}`);
      });
    }
    console.log(`fuzz: ${sent} malformed requests over ${routeRules.length} route methods; statuses ${JSON.stringify(Object.fromEntries([...byStatus].sort((a, b) => a[0] - b[0])))}`);
    expect(failures, failures.slice(0, 20).join("\n")).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(1000);
  });
});
