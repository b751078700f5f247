import { fileURLToPath } from "node:url";

// How the production server process runs: `npm start`, the test harness and
// the gateway benchmark all start scripts/server.ts with these node flags, so
// the tests and the benchmark exercise what users run.
//
// A larger young generation. Every streamed chunk allocates short-lived
// objects (the parsed upstream event, the re-serialised frame, stream
// bookkeeping); with V8's default 16 MB semi-space, 1,000 open streams
// allocate fast enough that many of them survive two scavenges, are promoted,
// and the old generation grows by about half a megabyte per open stream.
// `npm run bench:gateway -- --only=memory`: 561 MB extra RSS for 1,000
// concurrent streams with the default, 126 MB with 64 MB.
export const SERVER_NODE_FLAGS = ["--max-semi-space-size=64"];

/** The node arguments that run the production server (scripts/server.ts) on `port`. */
export function serverCommand(port: number, hostname?: string, extraNodeArgs: string[] = []): string[] {
  return [...SERVER_NODE_FLAGS, ...extraNodeArgs, "--import", "tsx", fileURLToPath(new URL("../server.ts", import.meta.url)), "--port", String(port), ...(hostname ? ["--hostname", hostname] : [])];
}
