// Peer gateways the benchmark measures Promptgate against: today Portkey's
// open-source gateway, installed on demand into bench/peers (its own
// package.json and lockfile, never a dependency of the app) and run as its own
// process on the gateway's core, pointed at the same fake upstream.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { request } from "undici";
import { pinned } from "./machine.ts";
import { freePort } from "../../tests/support/postgres.ts";
import { GATEWAY_CORE, ROOT, stopChild, track } from "./servers.ts";

const PEERS_DIR = join(ROOT, "bench/peers");
const PORTKEY = "@portkey-ai/gateway";
// Newer versions break Portkey's streaming ("TypeError: immutable", Portkey issue #1389): pinned by an override.
const NODE_SERVER = "@hono/node-server";

type PeersManifest = { dependencies: Record<string, string>; overrides?: Record<string, string> };

function installedVersion(name: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(PEERS_DIR, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return null;
  }
}

/**
 * Installs bench/peers when its node_modules is missing or holds other versions
 * than the manifest pins (npm install, so the committed lockfile is followed).
 * Returns the versions in use.
 */
export function ensurePeers(log: (line: string) => void): { portkey: string; nodeServer: string } {
  const manifest = JSON.parse(readFileSync(join(PEERS_DIR, "package.json"), "utf8")) as PeersManifest;
  const want = { portkey: manifest.dependencies[PORTKEY]!, nodeServer: manifest.overrides?.[NODE_SERVER] ?? null };
  const have = () => ({ portkey: installedVersion(PORTKEY), nodeServer: installedVersion(NODE_SERVER) });
  const current = have();
  if (current.portkey !== want.portkey || (want.nodeServer && current.nodeServer !== want.nodeServer)) {
    log(`installing the peer gateways into bench/peers (${PORTKEY}@${want.portkey}, ${NODE_SERVER}@${want.nodeServer ?? "any"})`);
    const t = performance.now();
    execFileSync("npm", ["install", "--prefix", PEERS_DIR, "--no-audit", "--no-fund"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    log(`installed in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const after = have();
  if (after.portkey !== want.portkey || (want.nodeServer && after.nodeServer !== want.nodeServer)) {
    throw new Error(`bench/peers: expected ${PORTKEY}@${want.portkey} and ${NODE_SERVER}@${want.nodeServer}, found ${after.portkey} and ${after.nodeServer}`);
  }
  return { portkey: after.portkey!, nodeServer: after.nodeServer ?? "unknown" };
}

export type Peer = {
  url: string;
  pid: number;
  /** What every request to it carries: the provider, the upstream (loopback, which Portkey trusts by default) and the upstream key. */
  headers: Record<string, string>;
  output(): string;
  stop(): Promise<void>;
};

/**
 * Portkey's gateway on the gateway's core, forwarding to the fake upstream.
 * It is checked before use: one non-streamed and one streamed call must come
 * back whole, or the benchmark stops (a broken peer would make every ratio a lie).
 */
export async function startPortkey(upstreamOpenaiBaseUrl: string): Promise<Peer> {
  const entry = join(PEERS_DIR, "node_modules", PORTKEY, "build/start-server.js");
  if (!existsSync(entry)) throw new Error(`Portkey's server is missing at ${entry}: run ensurePeers first`);
  const port = await freePort();
  const [cmd, args] = pinned(GATEWAY_CORE, [process.execPath, entry, `--port=${port}`, "--headless"]);
  let out = "";
  const child = track(spawn(cmd, args, { cwd: PEERS_DIR, env: { ...process.env, NODE_ENV: "production" }, stdio: ["ignore", "pipe", "pipe"], detached: true }));
  const keep = (d: Buffer) => {
    out += d.toString("utf8");
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  // Portkey listens on every interface (it has no host option); the benchmark only ever calls it on loopback.
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Portkey exited with code ${child.exitCode}:\n${out}`);
    try {
      const r = await request(`${url}/`);
      await r.body.dump();
      if (r.statusCode === 200) break;
    } catch {}
    if (Date.now() > deadline) {
      await stopChild(child, 1000);
      throw new Error(`Portkey did not answer within 30 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const peer: Peer = {
    url,
    pid: child.pid!,
    headers: {
      "content-type": "application/json",
      authorization: "Bearer sk-bench-upstream-0000",
      "x-portkey-provider": "openai",
      "x-portkey-custom-host": upstreamOpenaiBaseUrl,
    },
    output: () => out,
    stop: () => stopChild(child, 5000),
  };
  try {
    await smokeCheck(peer);
  } catch (err) {
    await peer.stop();
    throw new Error(`Portkey failed its start-up check: ${err instanceof Error ? err.message : String(err)}\n${out}`);
  }
  return peer;
}

/** One non-streamed and one streamed chat completion through a gateway, each read to the end and checked. */
export async function smokeCheck(t: { url: string; headers: Record<string, string> }, path = "/v1/chat/completions", model = "bench-model"): Promise<void> {
  const messages = [{ role: "user", content: "Say hello." }];
  const plain = await request(`${t.url}${path}`, { method: "POST", headers: t.headers, body: JSON.stringify({ model, messages }), headersTimeout: 10_000, bodyTimeout: 10_000 });
  const text = await plain.body.text();
  if (plain.statusCode !== 200 || !(JSON.parse(text) as { choices?: unknown[] }).choices?.length) {
    throw new Error(`non-streamed call: HTTP ${plain.statusCode}: ${text.slice(0, 500)}`);
  }
  const streamed = await request(`${t.url}${path}`, {
    method: "POST",
    headers: t.headers,
    body: JSON.stringify({ model, messages, stream: true, stream_options: { include_usage: true } }),
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const events = (await streamed.body.text()).split("\n\n").filter((e) => e.startsWith("data:"));
  const content = events.filter((e) => e.includes('"content"')).length;
  if (streamed.statusCode !== 200 || events.at(-1) !== "data: [DONE]" || content === 0 || events.some((e) => e.startsWith('data: {"error"'))) {
    throw new Error(`streamed call: HTTP ${streamed.statusCode}, ${events.length} events, last ${JSON.stringify(events.at(-1)?.slice(0, 300))}`);
  }
}
