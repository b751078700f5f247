// GET /api/bench/memory: BENCH-ONLY. The server process's memory for
// `npm run bench:gateway`, which reads heap-after-GC at two points of a long
// run to tell a leak from garbage not yet collected. `?gc=1` runs a full
// collection first when node was started with --expose-gc (the benchmark does).
// It is a 404 unless the server runs with PROMPTGATE_BENCH=1.
export const dynamic = "force-dynamic";

export async function GET(req: Request): Promise<Response> {
  if (process.env.PROMPTGATE_BENCH !== "1") return new Response("Not Found", { status: 404 });
  const gc = (globalThis as { gc?: () => void }).gc;
  const collected = new URL(req.url).searchParams.get("gc") === "1" && typeof gc === "function";
  if (collected) gc();
  return Response.json({ collected, ...process.memoryUsage() }, { headers: { "cache-control": "no-store" } });
}
