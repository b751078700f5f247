import "server-only";
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { config } from "@/lib/config";
import { logger, recordHttpRequest, withRequestTrace, type Logger } from "@/lib/observability";
import {
  auth, verifyApiKey, currentUser, hasRole, isAdminPrincipal, isInstanceAdmin, isAccessToken, verifyAccessToken, verifyRequestSignature, type Principal, type Role,
} from "@/lib/auth";
import { clientIpFrom } from "@/lib/core";
import { AppError, errorResponse, json, toAppError, type Envelope } from "@/lib/core";
import { queryObject, readJsonBody } from "./body";
import { routePattern } from "./route-patterns";

/**
 * none: public. apiKey: an active API key (Bearer or x-api-key).
 * session: a signed-in console user, optionally with a minimum role.
 * admin: an admin session, or an API key with the `admin` scope.
 * sessionOrAdminKey: with a key, an admin-scoped one; without, a signed-in user
 * with the route's role (console pages that automation may also read).
 * instanceAdmin: what the instance owns (accounts, routing, pricing, users,
 * workspaces): an instance admin's session, or an admin-scoped key of Default.
 * A workspace's own admin is refused.
 */
export type AuthMode = "none" | "apiKey" | "session" | "admin" | "sessionOrAdminKey" | "instanceAdmin";

type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export type RouteOptions<B extends Schema | undefined, Q extends Schema | undefined, P extends Schema | undefined = undefined> = {
  auth: AuthMode;
  role?: Role;
  body?: B;
  query?: Q;
  /** The path parameters ([id] segments), parsed like the body: a bad one is a 400 naming it. */
  params?: P;
  envelope?: Envelope;
  maxBodyBytes?: number;
};

export type RouteContext<B, Q, P> = {
  req: Request;
  url: URL;
  body: B;
  query: Q;
  params: P;
  principal: Principal;
  signal: AbortSignal;
  requestId: string;
  /** Null unless a trusted proxy reported it (TRUST_PROXY_HOPS). */
  ip: string | null;
  log: Logger;
};

type NextCtx = { params: Promise<Record<string, string | string[]>> };
export type RouteHandler = (req: Request, ctx: NextCtx) => Promise<Response>;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
// The nil workspace: no row exists there, so an unauthenticated route can read nothing team-owned.
const anonymous: Principal = {
  kind: "apiKey",
  key: { id: "", name: "anonymous", prefix: "", scopes: [], expiresAt: null, workspace: { id: "00000000-0000-0000-0000-000000000000", allowedModels: [] } },
};

export function bearerToken(req: Request): string | null {
  const h = req.headers.get("authorization");
  if (h) {
    const m = /^Bearer\s+(.+)$/i.exec(h.trim());
    return m?.[1]?.trim() ?? null;
  }
  return req.headers.get("x-api-key")?.trim() || null;
}

async function authenticate(req: Request, mode: AuthMode, role: Role | undefined): Promise<Principal> {
  if (mode === "none") return anonymous;
  const token = bearerToken(req);
  const adminKey = (mode === "admin" || mode === "sessionOrAdminKey" || mode === "instanceAdmin") && token;
  if (mode === "apiKey" || adminKey) {
    if (!token) throw new AppError("invalid_api_key", "Missing API key. Send it as 'Authorization: Bearer <key>' or 'x-api-key'.");
    // A service access token (POST /api/auth/token) is accepted wherever an API key is.
    const check = isAccessToken(token) ? await verifyAccessToken(token) : await verifyApiKey(token);
    if (!check.ok) {
      const why = { unknown: "Incorrect API key provided", revoked: "This API key has been revoked", expired: "This API key has expired" }[check.reason];
      throw new AppError("invalid_api_key", why);
    }
    if (mode !== "apiKey" && !isAdminPrincipal(check.principal)) {
      throw new AppError("forbidden", "This API key lacks the 'admin' scope");
    }
    if (mode === "instanceAdmin" && !isInstanceAdmin(check.principal)) {
      throw new AppError("forbidden", "This needs an instance admin: an admin key of a team workspace manages that workspace only");
    }
    // Keys with request signing enabled must send a fresh HMAC signature (lib/auth/signing.ts).
    await verifyRequestSignature(req, check.principal);
    return check.principal;
  }
  // Session modes: the cookie is checked by Auth.js, the user's current state by the database.
  const session = await auth();
  if (!session?.user?.id) throw new AppError("unauthorized", "Sign in first, or send an admin API key");
  const user = await currentUser();
  if (!user) throw new AppError("unauthorized", "Your session is no longer valid; sign in again");
  const min: Role = mode === "admin" || mode === "instanceAdmin" ? "admin" : (role ?? "viewer");
  if (!hasRole(user.role, min)) throw new AppError("forbidden", `This needs the ${min} role; you are ${user.role}`);
  if (mode === "instanceAdmin" && !user.instanceAdmin) throw new AppError("forbidden", "This needs an instance admin");
  return { kind: "user", user };
}

const MUTATIONS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const JSON_TYPE = /^application\/json\s*(?:;|$)/i;

/**
 * A browser attaches the session cookie to requests other sites make it send
 * (forms, fetch, navigations), so a mutation authenticated by the cookie must
 * prove it comes from our own pages: an Origin naming this host (browsers
 * send it with every POST, PUT, PATCH and DELETE, and no page can forge it;
 * none at all is refused), and, for a JSON body, Content-Type
 * application/json (a cross-site form can only send form or text bodies, and a
 * cross-site fetch with a JSON type needs a CORS preflight we never grant).
 * The host is X-Forwarded-Host (or Host), as Next's own server-action check
 * takes it. API keys and tokens travel in headers no other site can set, so
 * they are not checked.
 */
function assertSameOriginMutation(req: Request, readsJson: boolean): void {
  if (!MUTATIONS.has(req.method)) return;
  const host = req.headers.get("x-forwarded-host")?.split(",")[0]?.trim() || req.headers.get("host");
  let origin: string | null = null;
  try {
    origin = new URL(req.headers.get("origin") ?? "").host;
  } catch {
    origin = null; // missing, "null" (sandboxed or privacy-sensitive contexts) or malformed
  }
  if (!origin || !host || origin !== host) {
    throw new AppError("forbidden", "A signed-in request that changes data must come from this console's own pages (its Origin header must name this site)");
  }
  if (readsJson && !JSON_TYPE.test(req.headers.get("content-type") ?? "")) {
    throw new AppError("unsupported_media_type", "Send the body as JSON, with 'Content-Type: application/json'");
  }
}

/**
 * The one route wrapper: request id, auth, body and query parsing, error
 * mapping and the access log. Handlers return a Response or a JSON-able value.
 */
export function apiRoute<B extends Schema | undefined = undefined, Q extends Schema | undefined = undefined, PS extends Schema | undefined = undefined>(
  opts: RouteOptions<B, Q, PS>,
  handler: (ctx: RouteContext<Out<B>, Out<Q>, PS extends Schema ? z.output<PS> : Record<string, string>>) => Promise<unknown> | unknown,
): RouteHandler {
  return async (req, nextCtx) => {
    const started = performance.now();
    const url = new URL(req.url);
    const incoming = req.headers.get("x-request-id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const envelope: Envelope = opts.envelope ?? (opts.auth === "apiKey" || url.pathname.startsWith("/api/v1/") ? "openai" : "default");
    const ip = clientIpFrom(req.headers);
    // A child logger costs ~7 µs to build; only handlers that log pay for it.
    let child: Logger | undefined;
    let res: Response;
    try {
      const principal = await authenticate(req, opts.auth, opts.role);
      if (principal.kind === "user") assertSameOriginMutation(req, opts.body !== undefined);
      const body = opts.body ? opts.body.parse(await readJsonBody(req, opts.maxBodyBytes ?? config().MAX_BODY_BYTES)) : undefined;
      const query = opts.query ? opts.query.parse(queryObject(url)) : undefined;
      const rawParams = await nextCtx?.params;
      const params = opts.params ? opts.params.parse(rawParams ?? {}) : rawParams;
      // Spans started by the handler join the caller's trace (traceparent) and carry the request id.
      const out = await withRequestTrace(requestId, req.headers.get("traceparent"), () => handler({
        req, url, principal, requestId, ip,
        get log() {
          return (child ??= logger.child({ requestId }));
        },
        body: body as Out<B>,
        query: query as Out<Q>,
        params: params as PS extends Schema ? z.output<PS> : Record<string, string>,
        signal: req.signal,
      }));
      res = out instanceof Response ? out : out === undefined ? new Response(null, { status: 204 }) : json(out);
      res.headers.set("x-request-id", requestId);
    } catch (e) {
      const err = toAppError(e);
      if (err.status >= 500 && err.code === "internal_error") logger.error({ requestId, err: e, path: url.pathname }, "unhandled error");
      res = errorResponse(err, envelope, requestId);
    }
    const ms = performance.now() - started;
    logger.info({ requestId, method: req.method, path: url.pathname, status: res.status, ms: Math.round(ms * 10) / 10 }, "request");
    recordHttpRequest(req.method, routePattern(url.pathname), res.status, ms);
    return res;
  };
}

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
type Method = (typeof METHODS)[number];

/**
 * Exports every HTTP method for a route file; the ones not implemented answer
 * 405 with an `Allow` header in the route's error envelope.
 */
export function methods(impl: Partial<Record<Method, RouteHandler>>, envelope?: Envelope): Record<Method, RouteHandler> {
  const allow = METHODS.filter((m) => impl[m]).join(", ");
  const notAllowed: RouteHandler = async (req) => {
    const err = new AppError("method_not_allowed", `Method ${req.method} is not allowed here; use ${allow}`, { headers: { allow } });
    // A route that names its envelope (Anthropic's) keeps it; otherwise /api/v1 speaks OpenAI's.
    const env: Envelope = envelope ?? (new URL(req.url).pathname.startsWith("/api/v1/") ? "openai" : "default");
    return errorResponse(err, env);
  };
  return Object.fromEntries(METHODS.map((m) => [m, impl[m] ?? notAllowed])) as Record<Method, RouteHandler>;
}
