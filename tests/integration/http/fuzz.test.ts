// Malformed input never causes a 5xx: fast-check generates wrong types,
// missing and extra fields, huge strings, deep nesting, invalid UTF-8, broken
// JSON and invalid headers for every route in the RBAC matrix (every public
// and admin API route), sent over raw HTTP to the production build with
// credentials that get past authentication. Every 4xx must carry a clear
// message in the route's error envelope.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "@/lib/accounts";
import { routeRules, type RouteRule } from "@/lib/auth/rbac-matrix";
import { closeDb } from "@/lib/db";
import { createPrompt } from "@/lib/prompts";
import { startApp, type AppServer } from "../../support/app-server";
import { eventually } from "../../support/eventually";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";
import { authHeaders, fillPath, makeCallers, rawRequest, type Caller, type Callers } from "../../support/callers";

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
  let upstream: FakeUpstream;
  let sent = 0;
  const byStatus = new Map<number, number>();

  beforeAll(async () => {
    app = await startApp({ MAX_BODY_BYTES: "1048576" });
    callers = await makeCallers(app.url, "fuzz");
    upstream = await startFakeUpstream();
  }, 600_000);

  afterAll(async () => {
    await app?.stop();
    await upstream?.close();
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

  // Faults #14.2: JSON.parse takes any depth, but a passed-through field 5,000
  // levels deep reached code that recurses (the simulator's and the adapters'
  // JSON.stringify) and answered 500. Each field below is passed on untouched,
  // so only a depth limit on the body stops it; the model names route to real
  // accounts so that, without the limit, the request reaches that code.
  it("faults #14.2: nesting 5,000 and 100,000 levels deep in every passed-through field answers 400 naming the field, in the route's envelope, never 500", async () => {
    const run = Date.now().toString(36);
    const simModel = `fuzz-nest-sim-${run}`;
    const httpModel = `fuzz-nest-http-${run}`;
    const system = { kind: "system", name: "test" } as const;
    await createAccount(system, { name: `fuzz-nest-sim-${run}`, provider: "simulator", models: [simModel], settings: { ttftMs: 0, tokensPerSecond: 0 } });
    await createAccount(system, { name: `fuzz-nest-http-${run}`, provider: "openai", baseUrl: upstream.openaiBaseUrl, apiKey: "sk-fuzz-nest-000000001", models: [httpModel] });
    const prompt = `fuzz-nest-${run}`;
    await createPrompt(system, { name: prompt, messages: [{ role: "user", content: "Say {{v}}" }], config: { model: simModel }, labels: ["production"] });
    const post = (path: string, body: string, who: Caller) =>
      rawRequest(app.url, "POST", path, { ...authHeaders(who), "content-type": "application/json" }, body);
    // The app learns of new accounts and prompts through its own caches: wait until both serve.
    for (const model of [simModel, httpModel]) {
      await eventually(async () => (await post("/api/v1/chat/completions", JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }), callers.apiKey)).status === 200 || null, 20_000, `${model} routable`);
    }
    await eventually(async () => (await post("/api/completion", JSON.stringify({ prompt, variables: { v: "x" } }), callers.apiKey)).status === 200 || null, 20_000, "prompt servable");

    const chat = (model: string, fields: string, message = "") => `{"model":"${model}","max_tokens":5,"messages":[{"role":"user","content":"hi"${message}}]${fields}}`;
    type Case = { what: string; path: string; body: (nest: string) => string; param: string; envelope: "openai" | "default"; who: Caller };
    const cases: Case[] = [];
    for (const model of [simModel, httpModel]) {
      const on = (what: string, body: (n: string) => string, param: string) => cases.push({ what: `${what} (${model === simModel ? "simulator" : "HTTP upstream"})`, path: "/api/v1/chat/completions", body, param, envelope: "openai", who: callers.apiKey });
      on("an unknown top-level field", (n) => chat(model, `,"extra":${n}`), "extra");
      on("an unknown field in a message", (n) => chat(model, "", `,"extra":${n}`), "messages.0.extra");
      on("a streamed request's unknown field", (n) => chat(model, `,"stream":true,"extra":${n}`), "extra");
      on("metadata", (n) => chat(model, `,"metadata":{"k":${n}}`), "metadata.k");
      on("function parameters", (n) => chat(model, `,"tools":[{"type":"function","function":{"name":"f","parameters":${n}}}]`), "tools.0.function.parameters");
      on("a json_schema response format", (n) => chat(model, `,"response_format":{"type":"json_schema","json_schema":{"name":"s","schema":${n}}}`), "response_format.json_schema.schema");
    }
    cases.push(
      { what: "completion variables", path: "/api/completion", body: (n) => `{"prompt":"${prompt}","variables":{"v":${n}}}`, param: "variables.v", envelope: "openai", who: callers.apiKey },
      { what: "completion overrides", path: "/api/completion", body: (n) => `{"prompt":"${prompt}","overrides":{"extra":${n}}}`, param: "overrides.extra", envelope: "openai", who: callers.apiKey },
      { what: "an admin API body", path: "/api/admin/quotas", body: (n) => `{"name":"fuzz-nest-${run}","scope":"key","tokensPerDay":5,"enabled":false,"extra":${n}}`, param: "extra", envelope: "default", who: callers.adminKey },
    );

    const failures: string[] = [];
    for (const c of cases) {
      for (const depth of [5_000, 100_000]) {
        for (const kind of ["array", "object"] as const) {
          const res = await post(c.path, c.body(deepNest(depth, kind)), c.who);
          const what = `${c.what}, ${depth} levels of ${kind}s → ${res.status} ${res.text.slice(0, 160)}`;
          let error: { message?: string; param?: string; type?: string; code?: string } | undefined;
          try {
            error = (JSON.parse(res.text) as { error?: typeof error }).error;
          } catch {}
          if (res.status !== 400 || error?.param !== c.param || !error.message?.includes(c.param)) failures.push(what);
          else if (c.envelope === "openai" ? error.type !== "invalid_request_error" : error.code !== "validation_error") failures.push(`wrong envelope: ${what}`);
        }
      }
    }
    expect(failures, failures.join("\n")).toEqual([]);
  }, 300_000);
});
