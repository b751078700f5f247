// The production server's fast door: requests to the hot routes (the API that
// apps call with a key) go straight to the route handler Next compiled for
// them, on plain node:http, without Next's request pipeline. Everything else
// takes the front door (Next's getRequestHandler).
//
// One implementation, two doors: the handler called here is the very export
// Next would call (the compiled route module's userland, loaded from the same
// build through the same require cache, so module state exists once), and the
// route table is lib/http's. This file only translates node:http to and from
// the web Request/Response the handler speaks, adds the static headers Next's
// config adds (scripts/lib/security-headers.mjs), and streams the body with
// backpressure. tests/unit/fast-door.test.ts keeps it that way.
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { OTHER_ROUTE, routeParams, routePattern } from "../../lib/http/route-patterns.ts";
import { apiHeaders, baseHeaders, httpsHeaders } from "./security-headers.mjs";

/** Served by the fast door: the API apps call with a key (API-key routes only; none reads a session). */
export const HOT_ROUTES = /^\/api\/(?:v1\/|completion$|quota$|feedback$)/;

type Handler = (req: Request, ctx: { params: Promise<Record<string, string | string[]>> }) => Promise<Response>;
// Next loads a route's userland lazily: ensureUserland() before reading it.
type RouteModule = { routeModule: { ensureUserland(): Promise<void>; userland: Record<string, Handler | undefined> } };

const STATIC_HEADERS: [string, string][] = [...baseHeaders, ...apiHeaders].map((h) => [h.key, h.value]);

export type FastDoor = (req: IncomingMessage, res: ServerResponse) => boolean;

/** `maxBodyBytes`: the app's MAX_BODY_BYTES (validated by lib/config at start). */
export function fastDoor(distDir: string, maxBodyBytes: number): FastDoor {
  const require = createRequire(join(distDir, "server/"));
  const manifest = JSON.parse(readFileSync(join(distDir, "server/app-paths-manifest.json"), "utf8")) as Record<string, string>;
  const routes = new Map<string, Promise<Record<string, Handler | undefined>>>();
  const handlersOf = (pattern: string, file: string) => {
    let h = routes.get(pattern);
    if (!h) {
      const { routeModule } = require(join(distDir, "server", file)) as RouteModule;
      h = routeModule.ensureUserland().then(() => routeModule.userland);
      routes.set(pattern, h);
    }
    return h;
  };

  return (req, res) => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const pathname = q < 0 ? url : url.slice(0, q);
    if (!HOT_ROUTES.test(pathname)) return false;
    const pattern = routePattern(pathname);
    const file = pattern === OTHER_ROUTE ? undefined : manifest[`${pattern}/route`];
    if (!file) return false;
    void serve(req, res, handlersOf(pattern, file), pattern, pathname, url, maxBodyBytes);
    return true;
  };
}

async function serve(
  req: IncomingMessage, res: ServerResponse, handlers: Promise<Record<string, Handler | undefined>>, pattern: string, pathname: string, url: string,
  maxBodyBytes: number,
): Promise<void> {
  // The client's abort reaches the handler (and through it the upstream) as the request's signal.
  const abort = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) abort.abort();
  });
  let response: Response;
  try {
    const headers = new Headers();
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
    const buffer = req.method === "GET" || req.method === "HEAD" ? null : await readBody(req, maxBodyBytes);
    const body = buffer as BodyInit | null; // a Buffer is a Uint8Array, which fetch accepts
    const request = new Request(`http://${req.headers.host ?? "localhost"}${url}`, { method: req.method, headers, body, signal: abort.signal });
    // Every route file exports all methods (lib/http methods(): 405 for the others).
    const handler = (await handlers)[req.method ?? "GET"];
    if (!handler) throw new Error(`no ${req.method} export for ${pattern}`);
    response = await handler(request, { params: Promise.resolve(routeParams(pattern, pathname)) });
  } catch (err) {
    // The route wrapper maps every error to a response: reaching here is a bug, answered like Next would.
    process.stderr.write(`fast door: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" }).end('{"error":{"code":"internal_error","message":"Internal server error"}}');
    return;
  }
  setHeaders(req, res, response);
  if (!response.body) {
    res.writeHead(response.status).end();
    return;
  }
  // A JSON answer is written in one piece, with its length; only a stream is relayed as it comes.
  if (!response.headers.get("content-type")?.startsWith("text/event-stream")) {
    const body = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, { "content-length": body.length }).end(body);
    return;
  }
  res.writeHead(response.status);
  // Headers go out now, not with the first chunk: a stream's client sees its 200 at once.
  res.flushHeaders();
  const reader = response.body.getReader();
  res.once("close", () => {
    if (!res.writableFinished) void reader.cancel().catch(() => {});
  });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise<void>((resolve) => res.once("drain", resolve).once("close", resolve));
      if (res.destroyed) return;
    }
    res.end();
  } catch {
    res.destroy();
  }
}

function setHeaders(req: IncomingMessage, res: ServerResponse, response: Response): void {
  for (const [k, v] of STATIC_HEADERS) res.setHeader(k, v);
  if (req.headers["x-forwarded-proto"] === "https") for (const h of httpsHeaders) res.setHeader(h.key, h.value);
  const cookies = response.headers.getSetCookie();
  for (const [k, v] of response.headers) if (k !== "set-cookie") res.setHeader(k, v);
  if (cookies.length) res.setHeader("set-cookie", cookies);
}

/**
 * The body, read whole (API bodies are small): at most `limit` + 1 bytes, so an
 * oversized one still reaches the handler, whose body reader answers 413, and
 * is never buffered beyond the limit here. The rest of an oversized body is read
 * and dropped, as Node does for a request nobody read: the client is still
 * sending it, and closing now would reset the connection under it before it
 * reads the 413 (and lose a kept-alive connection). Past DRAIN_MAX more, it is
 * abuse: the connection is closed.
 */
const DRAIN_MAX = 16 * 1_048_576;
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      chunks.push(c);
      size += c.length;
      if (size > limit) {
        req.off("data", onData);
        let dropped = 0;
        req.on("data", (d: Buffer) => {
          dropped += d.length;
          if (dropped > DRAIN_MAX) req.destroy();
        });
        resolve(Buffer.concat(chunks).subarray(0, limit + 1));
      }
    };
    req.on("data", onData);
    req.once("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.once("error", reject);
  });
}
