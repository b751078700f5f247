// POST /api/bench/proxy: BENCH-ONLY. The floor of any gateway built on this
// framework: forwards the body to the benchmark's upstream over a pooled undici
// connection and relays the answer (a stream as a stream), with nothing else:
// no auth, no parsing, no routing, no usage. `npm run bench:gateway` compares
// the gateway with it, so "gateway − proxy" is Promptgate's own cost and
// "proxy − no-op" is the second network hop through Next. A 404 unless the
// server runs with PROMPTGATE_BENCH=1 and BENCH_UPSTREAM_URL.
import { Readable } from "node:stream";
import { Pool } from "undici";

let pool: Pool | undefined;

export async function POST(req: Request): Promise<Response> {
  const base = process.env.BENCH_UPSTREAM_URL;
  if (process.env.PROMPTGATE_BENCH !== "1" || !base) return new Response("Not Found", { status: 404 });
  const url = new URL(`${base}/chat/completions`);
  pool ??= new Pool(url.origin, { pipelining: 1 });
  const body = await req.text();
  const res = await pool.request({ method: "POST", path: url.pathname, headers: { "content-type": "application/json" }, body, signal: req.signal });
  const type = String(res.headers["content-type"] ?? "application/json");
  if (type.includes("text/event-stream")) {
    return new Response(Readable.toWeb(res.body) as ReadableStream<Uint8Array>, { status: res.statusCode, headers: { "content-type": type } });
  }
  return new Response(await res.body.text(), { status: res.statusCode, headers: { "content-type": type } });
}
