// `npm run bench:gateway`: what the gateway costs, measured in one run against
// baselines on the same machine: the fake upstream called directly, a no-op
// route in the same Next build (the framework floor), a bare proxy route (the
// floor of any gateway on Next), and a peer gateway, Portkey's (installed on
// demand into bench/peers). The goal table compares Promptgate with Portkey
// figure by figure. See bench/README.md.
//
//   npm run bench:gateway                    full run (~20 minutes)
//   npm run bench:gateway -- --quick         under 5 minutes, indicative only (or BENCH_QUICK=1)
//   npm run bench:gateway -- --scale=0.5     every duration and count × 0.5 (or BENCH_SCALE)
//   npm run bench:gateway -- --only=throughput,sequential --out=partial   (bench/results/partial.{json,md})
//   BENCH_GATEWAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=.data/bench-profile" npm run bench:gateway
//   BENCH_QUIET_WAIT_S=0 npm run bench:gateway   do not wait for other processes to go quiet
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { request, type Pool } from "undici";
import { buildIfStale } from "../scripts/lib/build.ts";
import { SERVER_NODE_FLAGS } from "../scripts/lib/server-flags.ts";
import {
  closePool, holdStreams, openLoop, openPool, sendOnce, sentRequests, sequential, streamLoop, sustained,
  type ArmName, type Dialect, type OpenLoop, type Sequential, type StreamGauge, type Sustained, type Target,
} from "./lib/load.ts";
import { cpuBetween, cpuSnapshot, machineInfo, pinPid, processCpuSeconds, rssBytes, treeCpuSeconds, type CpuUse, type MachineInfo } from "./lib/machine.ts";
import { ensurePeers, smokeCheck, startPortkey, type Peer } from "./lib/peers.ts";
import {
  LOAD_CORE, ROOT, benchLock, countUsageEvents, newSecrets, pinDatabase, seedGateway, startDatabase, startGateway, startUpstream,
  type Gateway, type Upstream,
} from "./lib/servers.ts";
import { round, roundSummary, summarise, type Summary } from "./lib/stats.ts";
import { fmt, markdownTable, ratio, signed, textTable, type Row } from "./lib/table.ts";

const PHASES = ["memory", "sequential", "routing", "throughput", "connections", "open", "streaming", "dialects", "soak", "workers"] as const;
type Phase = (typeof PHASES)[number];

const { values: argv } = parseArgs({
  options: { quick: { type: "boolean" }, scale: { type: "string" }, only: { type: "string" }, out: { type: "string" }, help: { type: "boolean", short: "h" } },
});
if (argv.help) {
  process.stdout.write(`Usage: npm run bench:gateway [-- --quick] [--scale=<factor>] [--only=${PHASES.join(",")}] [--out=<name>]\n`);
  process.exit(0);
}
const quick = argv.quick === true || process.env.BENCH_QUICK === "1";
const scale = Number(argv.scale ?? process.env.BENCH_SCALE ?? (quick ? 0.12 : 1));
if (!(scale > 0)) throw new Error(`--scale must be a positive number, got ${argv.scale ?? process.env.BENCH_SCALE}`);
/** Results go to bench/results/<out>.json and .md; a partial or experimental run can keep the main ones intact. */
const out = argv.out ?? "gateway";
if (!/^[\w.-]+$/.test(out)) throw new Error(`--out must be a plain file name, got "${out}"`);
const only = new Set<Phase>(argv.only ? (argv.only.split(",").map((s) => s.trim()) as Phase[]) : PHASES);
for (const p of only) if (!PHASES.includes(p)) throw new Error(`--only: unknown phase "${p}" (phases: ${PHASES.join(", ")})`);

/** Seconds to wait for other processes to go below QUIET_CORES before measuring anyway. */
const quietWaitS = Number(process.env.BENCH_QUIET_WAIT_S ?? (quick ? 0 : 600));
const QUIET_CORES = 0.1;
/** A phase (or throughput step) during which other processes used more than this is repeated. */
const NOISY_CORES = 0.15;
const phaseRetries = quick ? 0 : 2;
// Everything the benchmark runs descends from this process (gateway, Portkey, upstream, Postgres).
const OURS = [process.pid];

/** Waits (up to quietWaitS) until processes outside the benchmark use ≤ QUIET_CORES; returns their last use. */
async function waitForQuiet(): Promise<number> {
  const until = performance.now() + quietWaitS * 1000;
  for (;;) {
    const idle = cpuSnapshot(OURS);
    await new Promise((r) => setTimeout(r, 3000));
    const foreign = round(cpuBetween(idle, cpuSnapshot(OURS)).foreign, 3);
    if (foreign <= QUIET_CORES || interrupted) return foreign;
    if (performance.now() > until) {
      log(`other processes are using ${foreign.toFixed(2)} cores: measuring anyway, expect noisy results`);
      return foreign;
    }
    log(`waiting for a quiet machine: other processes use ${foreign.toFixed(2)} cores (giving up in ${Math.round((until - performance.now()) / 1000)} s)`);
  }
}

// --expose-gc lets the bench-only memory route (app/api/bench/memory) read the heap after a full collection.
const GATEWAY_NODE_ARGS = ["--expose-gc", ...(process.env.BENCH_GATEWAY_NODE_ARGS ?? "").split(/\s+/).filter(Boolean)];

const n = (full: number, min: number) => Math.max(min, Math.round(full * scale));

/** Every knob of the run, written into the results so two runs can be compared. */
const plan = {
  sequential: { warmup: n(500, 100), requests: n(2000, 400), rounds: 4 },
  throughput: { concurrency: [1, 2, 4, 8, 16, 32, 64, 128, 256], warmMs: n(1000, 300), measureMs: n(4000, 1000), minGain: 0.03, patience: 3 },
  // Fixed concurrency, arms taking turns round by round.
  connections: { levels: [10, 50], warmMs: n(1000, 400), measureMs: n(5000, 1500), rounds: quick ? 1 : 2 },
  // The rate is a share of Portkey's best throughput in this run (or BENCH_RATE).
  openLoop: { share: 0.7, fixedRate: process.env.BENCH_RATE ? Number(process.env.BENCH_RATE) : null, durationMs: n(30_000, 4000), maxConnections: 256 },
  // 50 ms to the first token, then 20 tokens 5 ms apart (role, 20 content pieces, finish, usage, [DONE]: 24 events).
  streaming: { levels: [1, 10, 100], warmMs: n(1000, 400), measureMs: n(15_000, 2500), headerDelayMs: 50, completionTokens: 20, chunkDelayMs: 5 },
  // 4 chunks/s per stream keeps the relay work of 1,000 streams well under one core, so all of them are open at once.
  memory: { streams: Number(process.env.BENCH_STREAMS ?? 1000), completionTokens: quick ? 40 : 60, chunkDelayMs: 250, batch: 100, batchEveryMs: 100 },
  // Heap after a full GC at 20% of the requests and at the end: flat means no leak.
  soak: { requests: n(100_000, 10_000), firstSampleShare: 0.2, concurrency: 10 },
  workers: { count: 2 },
  // The same gateway and upstream through each API surface: chat completions, Anthropic Messages, OpenAI Responses.
  dialects: { requests: n(2000, 400), rounds: 4, streams: 10, warmMs: n(1000, 400), measureMs: n(10_000, 2500) },
};

const CHAT = { model: "bench-model", messages: [{ role: "user", content: "Say hello in five words." }], max_tokens: 16 };
const NON_STREAM_BODY = JSON.stringify(CHAT);
const TWO_ACCOUNT_BODY = JSON.stringify({ ...CHAT, model: "bench-model-two" });
const STREAM_BODY = JSON.stringify({ ...CHAT, max_tokens: 64, stream: true, stream_options: { include_usage: true } });
// The Messages and Responses arms: the same question, the same model, the same token budget as CHAT.
const MESSAGES = { model: CHAT.model, max_tokens: CHAT.max_tokens, messages: CHAT.messages };
const RESPONSES = { model: CHAT.model, input: CHAT.messages[0]!.content, max_output_tokens: CHAT.max_tokens, store: false };
const DIALECT_BODIES: Record<Dialect, { once: string; stream: string }> = {
  chat: { once: NON_STREAM_BODY, stream: STREAM_BODY },
  messages: { once: JSON.stringify(MESSAGES), stream: JSON.stringify({ ...MESSAGES, max_tokens: 64, stream: true }) },
  responses: { once: JSON.stringify(RESPONSES), stream: JSON.stringify({ ...RESPONSES, max_output_tokens: 64, stream: true }) },
};
const DIALECTS: Dialect[] = ["chat", "messages", "responses"];
const ARMS: ArmName[] = ["direct", "noop", "proxy", "gateway", "portkey"];
const STREAM_ARMS: ArmName[] = ["direct", "proxy", "gateway", "portkey"];
/** The gateways whose process (on core 0) the benchmark measures for CPU and memory. */
type Server = "gateway" | "portkey";

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
const MB = 1e6;

// ---------------------------------------------------------------- lifecycle

const cleanups: { name: string; run: () => Promise<void> }[] = [];
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c.run();
      } catch (err) {
        log(`stopping ${c.name} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  })();
  return cleaning;
}

let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130); // a second Ctrl-C: give up on a clean stop
    interrupted = true;
    log(`${signal}: stopping everything (Ctrl-C again to force)`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------- phases

type ArmMap<T> = Partial<Record<ArmName, T>>;

type Step = {
  concurrency: number; rps: number; errors: number; p50: number; p99: number;
  /** Busy share of each core, the serving process's CPU (in cores) and everything not ours (in cores). */
  coreUtil: number[]; gatewayCpu: number | null; foreignCpu: number;
};

type Level = { rps: number; p50: number; p99: number; errors: number };

type StreamLevel = {
  streamsPerSec: number; ttft: Summary; gaps: Summary; bunchedShare: number; errors: number;
  /** Every stream of the level (warm-up included), the events they delivered, and the serving process's CPU meanwhile. */
  streams: number; events: number; cpuS: number | null; cpuPerChunkUs: number | null;
};

type Memory = {
  streams: number; ok: number; failed: number; maxOpen: number; rampMs: number;
  /** Idle before; highest while ≥ 95% of the streams were open; highest overall; 2 s after the last ended. */
  rssBeforeMB: number; rssAllOpenMB: number; rssPeakMB: number; rssAfterMB: number;
  /** Peak minus idle: what holding the streams cost, the conservative reading. */
  extraMB: number; perStreamKB: number;
  /** The process's CPU for the phase divided by the chunks it relayed (stream set-up included). */
  cpuS: number; chunksRelayed: number; cpuPerChunkUs: number;
  timeline: { ms: number; open: number; rssMB: number }[];
};

type HeapSample = { requests: number; rssMB: number; heapUsedMB: number | null };

type Soak = {
  requests: number; errors: number; rps: number;
  rssBeforeMB: number; rssAfterMB: number;
  /** Promptgate only (the bench-only memory route): heap after a full GC, before, at 20% and at the end. */
  heap: HeapSample[];
};

type Results = {
  mode: "full" | "quick";
  scale: number;
  startedAt: string;
  finishedAt?: string;
  machine: MachineInfo;
  peers?: { portkey: string; nodeServer: string };
  plan: typeof plan;
  /** The gateway process's node flags: the server's own (scripts/lib/server-flags.ts), then the benchmark's. */
  gatewayNodeArgs: string[];
  phases: Phase[];
  /** CPU used by processes outside the benchmark, in cores, measured idle before the phases. */
  backgroundCpu?: number;
  cpu?: Partial<Record<Phase, CpuUse & { attempts: number }>>;
  /** RSS right after the server answered its first call, and after one streamed and one non-streamed call and 2 s idle. */
  idle?: Partial<Record<Server, { atReadyMB: number | null; idleMB: number }>>;
  sequential?: ArmMap<Summary & { errors: number }>;
  routing?: { oneAccount: Summary & { errors: number }; twoAccounts: Summary & { errors: number } };
  throughput?: ArmMap<{ best: Omit<Step, "errors"> | null; steps: Step[]; stoppedBecause: string }>;
  connections?: { concurrency: number; arms: ArmMap<Level> }[];
  openLoop?: {
    rate: number; rateSource: string;
    arms: ArmMap<{ latency: Summary; service: Summary; sendLagP99: number; errors: number; achievedRps: number; eventLoopLagMaxMs: number | null }>;
  };
  streaming?: { concurrency: number; arms: ArmMap<StreamLevel> }[];
  /** The gateway through each API surface, same upstream: non-streamed at 1 connection, and streams. */
  dialects?: Partial<Record<Dialect, { once: Summary & { errors: number }; streams: StreamLevel }>>;
  memory?: Partial<Record<Server, Memory>>;
  soak?: Partial<Record<Server, Soak>>;
  workers?: { workers: number; levels: { concurrency: number; rps: number; errors: number; serverCores: number }[]; bestRps: number; oneWorkerRps: number | null; ratio: number | null };
  usage?: { gatewayRequests: number; usageEvents: number };
  goal?: GoalRow[];
  targets?: { name: string; threshold: string; measured: string; pass: boolean | null }[];
};

/** What the phases run against. */
type Rig = {
  targets: Record<ArmName, Target>;
  upstream: Upstream;
  gateway: Gateway;
  portkey: Peer;
  metricsToken: string;
};

/** The process serving an arm (for CPU and memory), or null for the direct arm. */
function pidOf(rig: Rig, arm: ArmName): number | null {
  if (arm === "direct") return null;
  return arm === "portkey" ? rig.portkey.pid : rig.gateway.pid;
}

const NON_STREAMED = {};
const STREAMED = () => ({ headerDelayMs: plan.streaming.headerDelayMs, completionTokens: plan.streaming.completionTokens, chunkDelayMs: plan.streaming.chunkDelayMs });

async function warmUp(rig: Rig) {
  const { targets, upstream } = rig;
  await upstream.setBehaviour(NON_STREAMED);
  for (const arm of ARMS) {
    const pool = openPool(targets[arm], 4);
    await Promise.all(Array.from({ length: 4 }, () => sequential(pool, targets[arm], NON_STREAM_BODY, Math.ceil(plan.sequential.warmup / 4))));
    await closePool(pool);
  }
  await upstream.setBehaviour({ completionTokens: plan.streaming.completionTokens, chunkDelayMs: 1 });
  for (const arm of STREAM_ARMS) await streamLoop(targets[arm], STREAM_BODY, 4, 0, 500);
}

/** The server's RSS after its start-up calls, once it has been idle for 2 s. */
async function idleRss(pid: number): Promise<number> {
  await new Promise((r) => setTimeout(r, 2000));
  return round(rssBytes(pid) / MB, 1);
}

async function memoryPhase(pid: number, target: Target, upstream: Upstream): Promise<Memory> {
  const p = plan.memory;
  await upstream.setBehaviour({ completionTokens: p.completionTokens, chunkDelayMs: p.chunkDelayMs });
  // Let the idle process settle (usage flush, timers) before the baseline reading.
  await new Promise((r) => setTimeout(r, 2000));
  const before = rssBytes(pid);
  const gauge: StreamGauge = { open: 0, maxOpen: 0 };
  const timeline: { ms: number; open: number; rss: number }[] = [];
  const t0 = performance.now();
  const sample = () => timeline.push({ ms: performance.now() - t0, open: gauge.open, rss: rssBytes(pid) });
  const sampler = setInterval(sample, 100);
  const cpu0 = processCpuSeconds(pid);
  let held;
  try {
    held = await holdStreams(target, STREAM_BODY, p.streams, { batch: p.batch, batchEveryMs: p.batchEveryMs, gauge });
  } finally {
    clearInterval(sampler);
  }
  sample();
  const cpu = processCpuSeconds(pid) - cpu0;
  // role, content pieces, finish, usage, [DONE]
  const chunks = held.ok * (p.completionTokens + 4);
  await new Promise((r) => setTimeout(r, 2000));
  const after = rssBytes(pid);
  const peak = Math.max(before, ...timeline.map((s) => s.rss));
  const whileOpen = timeline.filter((s) => s.open >= p.streams * 0.95).map((s) => s.rss);
  const allOpen = whileOpen.length ? Math.max(...whileOpen) : Number.NaN;
  return {
    streams: p.streams, ok: held.ok, failed: held.failed, maxOpen: gauge.maxOpen, rampMs: round(held.rampMs, 0),
    rssBeforeMB: round(before / MB, 1), rssAllOpenMB: round(allOpen / MB, 1), rssPeakMB: round(peak / MB, 1), rssAfterMB: round(after / MB, 1),
    extraMB: round((peak - before) / MB, 1), perStreamKB: round((peak - before) / p.streams / 1000, 1),
    cpuS: round(cpu, 2), chunksRelayed: chunks, cpuPerChunkUs: round((cpu / Math.max(1, chunks)) * 1e6, 1),
    // Every 5th sample is enough to see the shape.
    timeline: timeline.filter((_, i) => i % 5 === 0).map((s) => ({ ms: Math.round(s.ms), open: s.open, rssMB: round(s.rss / MB, 1) })),
  };
}

async function sequentialPhase(rig: Rig): Promise<NonNullable<Results["sequential"]>> {
  const { targets, upstream } = rig;
  const p = plan.sequential;
  await upstream.setBehaviour(NON_STREAMED);
  const pools = Object.fromEntries(ARMS.map((a) => [a, openPool(targets[a], 1)])) as Record<ArmName, Pool>;
  const runs = Object.fromEntries(ARMS.map((a) => [a, { latencies: [], errors: 0 } as Sequential])) as Record<ArmName, Sequential>;
  try {
    for (const arm of ARMS) await sequential(pools[arm], targets[arm], NON_STREAM_BODY, 50);
    // Arms take turns, so slow drift on the machine (other tenants, thermal) hits all of them alike.
    for (let round = 0; round < p.rounds; round++) {
      for (const arm of ARMS) await sequential(pools[arm], targets[arm], NON_STREAM_BODY, Math.ceil(p.requests / p.rounds), runs[arm]);
    }
  } finally {
    await Promise.all(ARMS.map((a) => closePool(pools[a])));
  }
  return Object.fromEntries(ARMS.map((a) => [a, { ...roundSummary(summarise(runs[a].latencies)), errors: runs[a].errors }]));
}

/** The gateway at 1 connection with one candidate account vs two: the pool's cost per request. */
async function routingPhase(target: Target, upstream: Upstream): Promise<NonNullable<Results["routing"]>> {
  const p = plan.sequential;
  await upstream.setBehaviour(NON_STREAMED);
  const pool = openPool(target, 1);
  const one = { latencies: [], errors: 0 } as Sequential;
  const two = { latencies: [], errors: 0 } as Sequential;
  try {
    await sequential(pool, target, TWO_ACCOUNT_BODY, 50);
    for (let round = 0; round < p.rounds; round++) {
      await sequential(pool, target, NON_STREAM_BODY, Math.ceil(p.requests / p.rounds), one);
      await sequential(pool, target, TWO_ACCOUNT_BODY, Math.ceil(p.requests / p.rounds), two);
    }
  } finally {
    await closePool(pool);
  }
  return {
    oneAccount: { ...roundSummary(summarise(one.latencies)), errors: one.errors },
    twoAccounts: { ...roundSummary(summarise(two.latencies)), errors: two.errors },
  };
}

async function throughputPhase(rig: Rig): Promise<NonNullable<Results["throughput"]>> {
  const { targets, upstream } = rig;
  const p = plan.throughput;
  await upstream.setBehaviour(NON_STREAMED);
  const out: NonNullable<Results["throughput"]> = {};
  for (const arm of ARMS) {
    const pid = pidOf(rig, arm);
    const steps: Step[] = [];
    let best: Step | null = null;
    let flat = 0;
    let stoppedBecause = `reached concurrency ${p.concurrency.at(-1)}`;
    for (const concurrency of p.concurrency) {
      let cpu0: number, before, r: Sustained, use;
      for (let attempt = 1; ; attempt++) {
        cpu0 = pid ? processCpuSeconds(pid) : 0;
        before = cpuSnapshot(OURS);
        r = await sustained(targets[arm], NON_STREAM_BODY, concurrency, p.warmMs, p.measureMs);
        use = cpuBetween(before, cpuSnapshot(OURS));
        if (use.foreign <= NOISY_CORES || attempt > phaseRetries || interrupted) break;
        log(`  ${arm} ×${concurrency}: other processes used ${use.foreign.toFixed(2)} cores; repeating the step`);
        await waitForQuiet();
      }
      const wall = (performance.now() - before.at) / 1000;
      const s = summarise(r.latencies);
      const step: Step = {
        concurrency, rps: round(r.rps, 1), errors: r.errors, p50: round(s.p50), p99: round(s.p99),
        coreUtil: use.coreUtil.map((u) => round(u, 3)),
        gatewayCpu: pid ? round((processCpuSeconds(pid) - cpu0) / wall, 3) : null,
        foreignCpu: round(use.foreign, 3),
      };
      steps.push(step);
      log(`  ${arm} ×${concurrency}: ${fmt(step.rps, 0)} req/s, p50 ${fmt(step.p50)} ms, p99 ${fmt(step.p99)} ms, ${r.errors} errors, cores ${step.coreUtil.map((u) => `${Math.round(u * 100)}%`).join("/")}, others ${step.foreignCpu.toFixed(2)} cores`);
      if (r.errors > 0) {
        stoppedBecause = `errors at concurrency ${concurrency}`;
        break;
      }
      if (!best || step.rps > best.rps * (1 + p.minGain)) {
        flat = 0;
      } else if (++flat >= p.patience) {
        stoppedBecause = `no gain ≥ ${p.minGain * 100}% for ${p.patience} steps after concurrency ${best.concurrency}`;
      }
      if (!best || step.rps > best.rps) best = step;
      if (flat >= p.patience) break;
    }
    const { errors: _errors, ...bestStep } = best ?? { errors: 0 };
    out[arm] = { best: best ? (bestStep as Omit<Step, "errors">) : null, steps, stoppedBecause };
  }
  return out;
}

/** Closed loop at 10 and 50 connections, every arm in turn, round after round. */
async function connectionsPhase(rig: Rig): Promise<NonNullable<Results["connections"]>> {
  const p = plan.connections;
  await rig.upstream.setBehaviour(NON_STREAMED);
  const runs = new Map<string, Sustained[]>();
  for (let round = 0; round < p.rounds; round++) {
    for (const concurrency of p.levels) {
      for (const arm of ARMS) {
        const r = await sustained(rig.targets[arm], NON_STREAM_BODY, concurrency, p.warmMs, p.measureMs);
        runs.set(`${concurrency}:${arm}`, [...(runs.get(`${concurrency}:${arm}`) ?? []), r]);
        log(`  ${arm} ×${concurrency}: ${fmt(r.rps, 0)} req/s, ${r.errors} errors`);
      }
    }
  }
  return p.levels.map((concurrency) => ({
    concurrency,
    arms: Object.fromEntries(
      ARMS.map((arm) => {
        const rs = runs.get(`${concurrency}:${arm}`) ?? [];
        const s = summarise(rs.flatMap((r) => r.latencies));
        const rps = rs.reduce((sum, r) => sum + r.rps, 0) / Math.max(1, rs.length);
        return [arm, { rps: round(rps, 1), p50: round(s.p50), p99: round(s.p99), errors: rs.reduce((sum, r) => sum + r.errors, 0) }];
      }),
    ),
  }));
}

/** nodejs_eventloop_lag_max_seconds from the gateway's metrics, in ms. Each scrape resets the window (prom-client). */
async function eventLoopLagMaxMs(rig: Rig): Promise<number | null> {
  try {
    const res = await request(`${rig.gateway.url}/api/metrics`, { headers: { authorization: `Bearer ${rig.metricsToken}` } });
    const text = await res.body.text();
    const m = /^nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})?\s+(\S+)/m.exec(text);
    return res.statusCode === 200 && m ? round(Number(m[1]) * 1000, 1) : null;
  } catch {
    return null;
  }
}

/** The open loop's rate: BENCH_RATE, else 70% of Portkey's best throughput measured in this run. */
function openLoopRate(r: Results): { rate: number; rateSource: string } {
  const p = plan.openLoop;
  if (p.fixedRate && p.fixedRate > 0) return { rate: p.fixedRate, rateSource: "BENCH_RATE" };
  const best = Math.max(r.throughput?.portkey?.best?.rps ?? 0, ...(r.connections ?? []).map((l) => l.arms.portkey?.rps ?? 0));
  if (best > 0) return { rate: Math.round(best * p.share), rateSource: `${p.share * 100}% of Portkey's best ${fmt(best, 0)} req/s` };
  return { rate: 300, rateSource: "300 req/s: Portkey's throughput was not measured in this run (run the throughput or connections phase)" };
}

async function openLoopPhase(rig: Rig, rate: number, rateSource: string): Promise<NonNullable<Results["openLoop"]>> {
  const p = plan.openLoop;
  await rig.upstream.setBehaviour(NON_STREAMED);
  const arms: NonNullable<Results["openLoop"]>["arms"] = {};
  for (const arm of ARMS) {
    const onGateway = pidOf(rig, arm) === rig.gateway.pid;
    if (onGateway) await eventLoopLagMaxMs(rig); // starts a fresh window
    const r: OpenLoop = await openLoop(rig.targets[arm], NON_STREAM_BODY, rate, p.durationMs, p.maxConnections);
    arms[arm] = {
      latency: roundSummary(summarise(r.latencies)),
      service: roundSummary(summarise(r.service)),
      sendLagP99: round(summarise(r.sendLag).p99),
      errors: r.errors,
      achievedRps: round(r.achievedRps, 1),
      eventLoopLagMaxMs: onGateway ? await eventLoopLagMaxMs(rig) : null,
    };
    log(`  open loop ${arm}: p50 ${fmt(arms[arm]!.latency.p50)} ms, p99 ${fmt(arms[arm]!.latency.p99)} ms, ${r.errors} errors${onGateway ? `, event-loop lag max ${fmt(arms[arm]!.eventLoopLagMaxMs, 1)} ms` : ""}`);
  }
  return { rate, rateSource, arms };
}

/** Closed loops of streams at 1, 10 and 100 connections per arm, with the serving process's CPU per relayed event. */
async function streamingPhase(rig: Rig): Promise<NonNullable<Results["streaming"]>> {
  const p = plan.streaming;
  await rig.upstream.setBehaviour(STREAMED());
  const out: NonNullable<Results["streaming"]> = [];
  for (const concurrency of p.levels) {
    const arms: ArmMap<StreamLevel> = {};
    for (const arm of STREAM_ARMS) {
      const pid = pidOf(rig, arm);
      const cpu0 = pid ? processCpuSeconds(pid) : 0;
      const r = await streamLoop(rig.targets[arm], STREAM_BODY, concurrency, p.warmMs, p.measureMs);
      const cpu = pid ? processCpuSeconds(pid) - cpu0 : null;
      arms[arm] = {
        streamsPerSec: round(r.streamsPerSec, 1),
        ttft: roundSummary(summarise(r.ttftMs)),
        gaps: roundSummary(summarise(r.gapsMs)),
        // Gaps far below the upstream's spacing mean events were held back and delivered together.
        bunchedShare: round(r.gapsMs.filter((g) => g < p.chunkDelayMs / 4).length / Math.max(1, r.gapsMs.length), 4),
        errors: r.errors,
        streams: r.streams,
        events: r.events,
        cpuS: cpu === null ? null : round(cpu, 2),
        cpuPerChunkUs: cpu === null ? null : round((cpu / Math.max(1, r.events)) * 1e6, 1),
      };
      const a = arms[arm]!;
      log(`  streams ×${concurrency} ${arm}: ${fmt(a.streamsPerSec, 1)} streams/s, TTFT p50 ${fmt(a.ttft.p50)} ms, ${a.errors} errors${a.cpuPerChunkUs !== null ? `, ${fmt(a.cpuPerChunkUs, 1)} µs CPU per event` : ""}`);
    }
    out.push({ concurrency, arms });
  }
  return out;
}

/** The same calls through chat completions, Messages and Responses: what each ingress adds over the chat one. */
async function dialectsPhase(rig: Rig): Promise<NonNullable<Results["dialects"]>> {
  const p = plan.dialects;
  const base = rig.targets.gateway;
  const targetOf = (d: Dialect): Target => ({
    ...base, dialect: d,
    path: d === "chat" ? base.path : d === "messages" ? "/api/v1/messages" : "/api/v1/responses",
    headers: d === "messages" ? { ...base.headers, "anthropic-version": "2023-06-01" } : base.headers,
  });
  await rig.upstream.setBehaviour(NON_STREAMED);
  const pools = Object.fromEntries(DIALECTS.map((d) => [d, openPool(targetOf(d), 1)])) as Record<Dialect, Pool>;
  const runs = Object.fromEntries(DIALECTS.map((d) => [d, { latencies: [], errors: 0 } as Sequential])) as Record<Dialect, Sequential>;
  try {
    for (const d of DIALECTS) await sequential(pools[d], targetOf(d), DIALECT_BODIES[d].once, 50);
    for (let round = 0; round < p.rounds; round++) {
      for (const d of DIALECTS) await sequential(pools[d], targetOf(d), DIALECT_BODIES[d].once, Math.ceil(p.requests / p.rounds), runs[d]);
    }
  } finally {
    await Promise.all(DIALECTS.map((d) => closePool(pools[d])));
  }
  await rig.upstream.setBehaviour(STREAMED());
  const out: NonNullable<Results["dialects"]> = {};
  for (const d of DIALECTS) {
    const cpu0 = processCpuSeconds(rig.gateway.pid);
    const r = await streamLoop(targetOf(d), DIALECT_BODIES[d].stream, p.streams, p.warmMs, p.measureMs);
    const cpu = processCpuSeconds(rig.gateway.pid) - cpu0;
    out[d] = {
      once: { ...roundSummary(summarise(runs[d].latencies)), errors: runs[d].errors },
      streams: {
        streamsPerSec: round(r.streamsPerSec, 1), ttft: roundSummary(summarise(r.ttftMs)), gaps: roundSummary(summarise(r.gapsMs)),
        bunchedShare: round(r.gapsMs.filter((g) => g < plan.streaming.chunkDelayMs / 4).length / Math.max(1, r.gapsMs.length), 4),
        errors: r.errors, streams: r.streams, events: r.events, cpuS: round(cpu, 2),
        // Per stream, not per event: the dialects frame the same tokens into different numbers of events.
        cpuPerChunkUs: round((cpu / Math.max(1, r.streams)) * 1e6, 1),
      },
    };
    const o = out[d]!;
    log(`  ${d}: non-streamed p50 ${fmt(o.once.p50)} ms (${o.once.errors} errors); ×${p.streams} streams ${fmt(o.streams.streamsPerSec, 1)}/s, TTFT p50 ${fmt(o.streams.ttft.p50)} ms, ${o.streams.errors} errors, ${fmt(o.streams.cpuPerChunkUs, 0)} µs CPU per stream`);
  }
  return out;
}

function dialectRows(r: Results): Row[] {
  const m = r.dialects;
  if (!m) return [];
  const rows: Row[] = [];
  const add = (label: string, f: (x: NonNullable<NonNullable<Results["dialects"]>["chat"]>) => number | null, digits = 3) => {
    const v = (d: Dialect) => (m[d] ? f(m[d]!) : null);
    rows.push([label, fmt(v("chat"), digits), fmt(v("messages"), digits), fmt(v("responses"), digits), signed(diff(v("messages"), v("chat")), digits), signed(diff(v("responses"), v("chat")), digits)]);
  };
  add("non-streamed, 1 conn: p50 ms", (x) => x.once.p50);
  add("non-streamed, 1 conn: p99 ms", (x) => x.once.p99);
  add(`streams ×${plan.dialects.streams}: TTFT p50 ms (first text)`, (x) => x.streams.ttft.p50);
  add(`streams ×${plan.dialects.streams}: streams/s`, (x) => x.streams.streamsPerSec, 1);
  add(`streams ×${plan.dialects.streams}: gateway CPU per stream, µs`, (x) => x.streams.cpuPerChunkUs, 0);
  add("errors (non-streamed + streams)", (x) => x.once.errors + x.streams.errors, 0);
  return rows;
}
const DIALECT_HEADER: Row = ["metric", "chat", "messages", "responses", "messages−chat", "responses−chat"];

/** Heap after a full GC and RSS, from the bench-only memory route (Promptgate's server only). */
async function heapAfterGc(gateway: Gateway): Promise<number | null> {
  try {
    const res = await request(`${gateway.url}/api/bench/memory?gc=1`);
    const body = (await res.body.json()) as { collected?: boolean; heapUsed?: number };
    return res.statusCode === 200 && body.collected && typeof body.heapUsed === "number" ? round(body.heapUsed / MB, 1) : null;
  } catch {
    return null;
  }
}

/** `count` non-streamed requests over `concurrency` connections. */
async function sendMany(t: Target, concurrency: number, count: number): Promise<{ errors: number; ms: number }> {
  const pool = openPool(t, concurrency);
  const start = performance.now();
  let left = count;
  let errors = 0;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (left > 0) {
          left--;
          if (!(await sendOnce(pool, t, NON_STREAM_BODY))) errors++;
        }
      }),
    );
  } finally {
    await closePool(pool);
  }
  return { errors, ms: performance.now() - start };
}

/** Many non-streamed requests through one server: RSS at the end, and (Promptgate) heap after GC at 20% and at the end. */
async function soakPhase(pid: number, target: Target, upstream: Upstream, heap?: () => Promise<number | null>): Promise<Soak> {
  const p = plan.soak;
  await upstream.setBehaviour(NON_STREAMED);
  const rssMB = () => round(rssBytes(pid) / MB, 1);
  const rssBeforeMB = rssMB();
  const samples: HeapSample[] = [];
  if (heap) samples.push({ requests: 0, rssMB: rssBeforeMB, heapUsedMB: await heap() });
  let sent = 0;
  let errors = 0;
  let ms = 0;
  let rssAfterMB = rssBeforeMB;
  for (const mark of [Math.round(p.requests * p.firstSampleShare), p.requests]) {
    const r = await sendMany(target, p.concurrency, mark - sent);
    sent = mark;
    errors += r.errors;
    ms += r.ms;
    // RSS before the forced collection: what the process holds after this many requests.
    rssAfterMB = rssMB();
    if (heap) samples.push({ requests: mark, rssMB: rssAfterMB, heapUsedMB: await heap() });
    log(`  soak ${target.arm}: ${mark} requests, RSS ${fmt(rssAfterMB, 1)} MB${heap ? `, heap after GC ${fmt(samples.at(-1)!.heapUsedMB, 1)} MB` : ""}`);
  }
  return { requests: sent, errors, rps: round(sent / (ms / 1000), 1), rssBeforeMB, rssAfterMB, heap: samples };
}

/**
 * The same build started with WEB_CONCURRENCY workers on every core, at 10
 * and 50 connections, against the one pinned process's figures. Until the
 * server honours WEB_CONCURRENCY this is one process on two cores (≈ 1.0×).
 */
async function workersPhase(server: Gateway, headers: Record<string, string>, oneWorkerRps: number | null): Promise<NonNullable<Results["workers"]>> {
  const p = plan.connections;
  const target: Target = { arm: "gateway", origin: server.url, path: "/api/v1/chat/completions", headers };
  await sendMany(target, 8, plan.sequential.warmup * 2);
  const levels: NonNullable<Results["workers"]>["levels"] = [];
  for (const concurrency of p.levels) {
    const cpu0 = treeCpuSeconds(server.pid);
    const t0 = performance.now();
    const r = await sustained(target, NON_STREAM_BODY, concurrency, p.warmMs, p.measureMs * p.rounds);
    const serverCores = (treeCpuSeconds(server.pid) - cpu0) / ((performance.now() - t0) / 1000);
    levels.push({ concurrency, rps: round(r.rps, 1), errors: r.errors, serverCores: round(serverCores, 2) });
    log(`  ${plan.workers.count} workers ×${concurrency}: ${fmt(r.rps, 0)} req/s, ${r.errors} errors, server processes used ${serverCores.toFixed(2)} cores`);
  }
  const bestRps = Math.max(...levels.filter((l) => l.errors === 0).map((l) => l.rps), 0);
  return { workers: plan.workers.count, levels, bestRps, oneWorkerRps, ratio: oneWorkerRps ? round(bestRps / oneWorkerRps, 3) : null };
}

// ---------------------------------------------------------------- report

type GoalRow = { figure: string; target: string; direct: string; portkey: string; promptgate: string; ratio: string; pass: boolean | null };

const finite = (x: number | null | undefined): x is number => x !== null && x !== undefined && Number.isFinite(x);
const diff = (a: number | null | undefined, b: number | null | undefined) => (finite(a) && finite(b) ? a - b : null);
const streamLevel = (r: Results, c: number) => r.streaming?.find((l) => l.concurrency === c)?.arms;

/** The issue's goal table: every figure with Portkey's, from this one run. */
function goalRows(r: Results): GoalRow[] {
  const rows: GoalRow[] = [];
  const add = (figure: string, target: string, v: { d?: string; k?: number | null; g?: number | null; digits?: number; pass: boolean | null; gText?: string; kText?: string }) => {
    const digits = v.digits ?? 3;
    rows.push({
      figure, target,
      direct: v.d ?? "–",
      portkey: v.kText ?? fmt(v.k, digits),
      promptgate: v.gText ?? fmt(v.g, digits),
      ratio: finite(v.g) && finite(v.k) && v.k > 0 && v.g >= 0 ? ratio(v.g, v.k) : "–",
      pass: v.pass,
    });
  };
  for (const level of r.connections ?? []) {
    const { direct: d, portkey: k, gateway: g } = level.arms;
    add(`non-streamed req/s, ${level.concurrency} connections`, "≥ 1.25× Portkey's", {
      d: fmt(d?.rps, 0), k: k?.rps, g: g?.rps, digits: 0,
      pass: g && k ? g.errors === 0 && g.rps >= 1.25 * k.rps : null,
    });
  }
  const sq = r.sequential;
  if (sq?.direct) {
    for (const q of ["p50", "p99"] as const) {
      const k = diff(sq.portkey?.[q], sq.direct[q]);
      const g = diff(sq.gateway?.[q], sq.direct[q]);
      add(`added latency, 1 connection, ${q} ms`, "≤ Portkey's", { d: `${fmt(sq.direct[q], 3)} (base)`, k, g, pass: finite(g) && finite(k) ? g <= k : null });
    }
  }
  const ol = r.openLoop;
  if (ol) {
    const { direct: d, portkey: k, gateway: g } = ol.arms;
    add(`open loop at ${ol.rate} req/s (${plan.openLoop.fixedRate ? "BENCH_RATE" : `${plan.openLoop.share * 100}% of Portkey's max`}), ${plan.openLoop.durationMs / 1000} s: p99 ms`, "≤ Portkey's", {
      d: fmt(d?.latency.p99, 3), k: k?.latency.p99, g: g?.latency.p99,
      pass: g && k ? g.errors === 0 && g.latency.p99 <= k.latency.p99 : null,
    });
    add("open loop: event-loop lag max, ms", "≤ 100 ms", { g: g?.eventLoopLagMaxMs, digits: 1, pass: finite(g?.eventLoopLagMaxMs) ? g.eventLoopLagMaxMs <= 100 : null });
  }
  const s100 = streamLevel(r, 100);
  if (s100) {
    const { direct: d, portkey: k, gateway: g } = s100;
    add("100 concurrent streams: streams/s", "≥ 1.25× Portkey's", {
      d: fmt(d?.streamsPerSec, 1), k: k?.streamsPerSec, g: g?.streamsPerSec, digits: 1,
      pass: g && k ? g.errors === 0 && g.streamsPerSec >= 1.25 * k.streamsPerSec : null,
    });
    const ko = diff(k?.ttft.p50, d?.ttft.p50);
    const go = diff(g?.ttft.p50, d?.ttft.p50);
    add("100 concurrent streams: TTFT p50 overhead, ms", "≤ Portkey's", { d: `${fmt(d?.ttft.p50, 3)} (base)`, k: ko, g: go, pass: finite(go) && finite(ko) ? go <= ko : null });
  }
  for (const c of [1, 10]) {
    const level = streamLevel(r, c);
    if (!level) continue;
    const { direct: d, portkey: k, gateway: g } = level;
    const go = diff(g?.ttft.p50, d?.ttft.p50);
    add(`TTFT overhead p50, ${c} connection${c > 1 ? "s" : ""}, ms`, "≤ 3 ms", { d: `${fmt(d?.ttft.p50, 3)} (base)`, k: diff(k?.ttft.p50, d?.ttft.p50), g: go, pass: finite(go) ? go <= 3 : null });
  }
  if (s100) {
    const g = s100.gateway?.cpuPerChunkUs;
    add("gateway CPU per relayed chunk (100 streams, set-up included), µs", "≤ 25 µs", { k: s100.portkey?.cpuPerChunkUs, g, digits: 1, pass: finite(g) ? g <= 25 : null });
  }
  if (r.idle) {
    const g = r.idle.gateway?.idleMB;
    add("idle RSS after start, MB", "≤ 200 MB", { k: r.idle.portkey?.idleMB, g, digits: 1, pass: finite(g) ? g <= 200 : null });
  }
  const soak = r.soak;
  if (soak) {
    const g = soak.gateway;
    const n = plan.soak.requests.toLocaleString("en-US");
    add(`RSS after ${n} non-streamed requests, MB`, "≤ 300 MB", { k: soak.portkey?.rssAfterMB, g: g?.rssAfterMB, digits: 1, pass: g ? g.errors === 0 && g.rssAfterMB <= 300 : null });
    const [first, last] = (g?.heap ?? []).filter((h) => h.requests > 0);
    const growth = first && last && finite(first.heapUsedMB) && finite(last.heapUsedMB) ? last.heapUsedMB / first.heapUsedMB - 1 : null;
    add(`heap after GC, ${first?.requests.toLocaleString("en-US") ?? "20%"} → ${last?.requests.toLocaleString("en-US") ?? n} requests, MB`, "flat (≤ +10%)", {
      gText: first && last ? `${fmt(first.heapUsedMB, 1)} → ${fmt(last.heapUsedMB, 1)} (${signed(finite(growth) ? growth * 100 : null, 1)}%)` : "–",
      pass: finite(growth) ? growth <= 0.1 : null,
    });
  }
  const mem = r.memory;
  if (mem) {
    const text = (m?: Memory) => (m ? `+${fmt(m.extraMB, 1)} (${m.ok}/${m.streams} completed)` : "–");
    const g = mem.gateway;
    add(`${plan.memory.streams.toLocaleString("en-US")} concurrent streams: extra RSS, MB`, "≤ +100 MB, every stream completes", {
      kText: text(mem.portkey), gText: text(g), k: mem.portkey?.extraMB, g: g?.extraMB,
      // Judged only when nearly all were open at once: otherwise the peak is not the figure asked for.
      pass: g && g.maxOpen >= g.streams * 0.95 ? g.failed === 0 && g.extraMB <= 100 : null,
    });
  }
  const w = r.workers;
  if (w) {
    add(`${w.workers} workers on ${w.workers} cores vs 1 worker, req/s`, "≥ 1.8× one worker's", {
      gText: `${fmt(w.bestRps, 0)} vs ${fmt(w.oneWorkerRps, 0)} (${finite(w.ratio) ? `${w.ratio.toFixed(2)}×` : "–"})`,
      pass: finite(w.ratio) ? w.ratio >= 1.8 : null,
    });
  }
  return rows;
}

/** Checks of the harness's own, beside the goal table. */
function targetsOf(r: Results): NonNullable<Results["targets"]> {
  const out: NonNullable<Results["targets"]> = [];
  const tp = r.throughput;
  if (tp?.gateway?.best && tp.noop?.best) {
    const share = tp.gateway.best.rps / tp.noop.best.rps;
    out.push({ name: "Full-pipeline throughput vs the no-op route", threshold: "≥ 90%", measured: `${(share * 100).toFixed(1)}%`, pass: share >= 0.9 });
  }
  const sq = r.sequential;
  if (sq?.gateway && sq.direct && sq.noop) {
    const overhead = sq.gateway.p50 - sq.direct.p50;
    out.push({
      name: "Non-streamed overhead p50, 1 connection (gateway − direct)",
      threshold: `≤ no-op p50 + 0.3 ms = ${fmt(sq.noop.p50 + 0.3, 3)} ms`,
      measured: `${fmt(overhead, 3)} ms`,
      pass: overhead <= sq.noop.p50 + 0.3,
    });
  }
  const g = streamLevel(r, 1)?.gateway;
  if (g) {
    const gap = g.gaps.p50;
    const delay = plan.streaming.chunkDelayMs;
    out.push({
      name: `Chunks arrive spaced through the gateway, 1 connection (upstream every ${delay} ms)`,
      threshold: `median gap ${delay} ms ± 25%, < 5% of gaps under ${delay / 4} ms`,
      measured: `median ${fmt(gap)} ms, ${(g.bunchedShare * 100).toFixed(1)}% bunched`,
      pass: Math.abs(gap - delay) <= delay * 0.25 && g.bunchedShare < 0.05,
    });
  }
  return out;
}

function comparisonRows(r: Results): Row[] {
  const rows: Row[] = [];
  const add = (label: string, v: ArmMap<number | null | undefined>, digits = 3) => {
    const { direct: d, noop: o, proxy: x, gateway: g, portkey: k } = v;
    rows.push([
      label, fmt(d, digits), fmt(o, digits), fmt(x, digits), fmt(g, digits), fmt(k, digits),
      signed(diff(g, d), digits), signed(diff(g, o), digits), signed(diff(g, x), digits), ratio(g, k),
    ]);
  };
  const each = <T>(m: ArmMap<T> | undefined, f: (t: T) => number | null | undefined): ArmMap<number | null | undefined> =>
    Object.fromEntries(ARMS.map((a) => [a, m?.[a] === undefined ? null : f(m[a])]));
  if (r.sequential) {
    add("non-streamed, 1 conn: p50 ms", each(r.sequential, (s) => s.p50));
    add("non-streamed, 1 conn: p99 ms", each(r.sequential, (s) => s.p99));
  }
  for (const level of r.connections ?? []) {
    add(`non-streamed, ${level.concurrency} conns: req/s`, each(level.arms, (s) => s.rps), 0);
    add(`non-streamed, ${level.concurrency} conns: p99 ms`, each(level.arms, (s) => s.p99));
  }
  if (r.openLoop) {
    add(`open loop ${r.openLoop.rate}/s: p50 ms`, each(r.openLoop.arms, (s) => s.latency.p50));
    add(`open loop ${r.openLoop.rate}/s: p99 ms`, each(r.openLoop.arms, (s) => s.latency.p99));
  }
  for (const level of r.streaming ?? []) {
    add(`streams ×${level.concurrency}: TTFT p50 ms`, each(level.arms, (s) => s.ttft.p50));
    add(`streams ×${level.concurrency}: streams/s`, each(level.arms, (s) => s.streamsPerSec), 1);
  }
  const s1 = streamLevel(r, 1);
  if (s1) add(`chunk gap (upstream ${plan.streaming.chunkDelayMs} ms), 1 conn: median ms`, each(s1, (s) => s.gaps.p50));
  const s100 = streamLevel(r, 100);
  if (s100) add("CPU per relayed event, 100 streams: µs", each(s100, (s) => s.cpuPerChunkUs), 1);
  if (r.throughput) {
    add("max sustained req/s, no errors", each(r.throughput, (t) => t.best?.rps), 0);
    const at = (a: ArmName) => String(r.throughput?.[a]?.best?.concurrency ?? "–");
    rows.push(["  at concurrency", ...ARMS.map(at), "", "", "", ""]);
  }
  if (r.idle) add("idle RSS after start: MB", { gateway: r.idle.gateway?.idleMB, portkey: r.idle.portkey?.idleMB }, 1);
  if (r.memory) add(`extra RSS, ${plan.memory.streams} streams: MB`, { gateway: r.memory.gateway?.extraMB, portkey: r.memory.portkey?.extraMB }, 1);
  if (r.soak) add(`RSS after ${plan.soak.requests} requests: MB`, { gateway: r.soak.gateway?.rssAfterMB, portkey: r.soak.portkey?.rssAfterMB }, 1);
  return rows;
}

const COMPARISON_HEADER: Row = ["metric", "direct", "no-op", "proxy", "gateway", "portkey", "gw−direct", "gw−no-op", "gw−proxy", "gw/portkey"];

function streamingRows(r: Results): Row[] {
  return (r.streaming ?? []).flatMap((level) =>
    STREAM_ARMS.filter((a) => level.arms[a]).map((arm) => {
      const s = level.arms[arm]!;
      return [
        String(level.concurrency), arm, fmt(s.streamsPerSec, 1), fmt(s.ttft.p50), fmt(s.ttft.p99), fmt(s.gaps.p50), `${(s.bunchedShare * 100).toFixed(1)}%`,
        fmt(s.cpuPerChunkUs, 1), String(s.errors),
      ];
    }),
  );
}
const STREAMING_HEADER: Row = ["streams", "arm", "streams/s", "TTFT p50", "TTFT p99", "gap p50", "bunched", "CPU µs/event", "errors"];

function machineLines(r: Results): string[] {
  const m = r.machine;
  return [
    `CPU: ${m.cpuModel}, ${m.cores} cores${m.hypervisor ? ` (${m.hypervisor} guest)` : ""}, ${m.memoryGiB} GiB RAM`,
    `OS: ${m.os}; Node ${m.node}; Next ${m.next}; undici ${m.undici}; commit ${m.commit ?? "unknown"}`,
    `Peer: Portkey gateway ${r.peers?.portkey ?? "not run"} (@hono/node-server ${r.peers?.nodeServer ?? "–"}), headless, on core 0 like the gateway (one of the two loaded at a time)`,
    `Pinning: ${m.pinning}`,
  ];
}

function errorLines(r: Results): string[] {
  const lines: string[] = [];
  for (const arm of ARMS) {
    const parts: string[] = [];
    if (r.sequential?.[arm]?.errors) parts.push(`${r.sequential[arm]!.errors} in the 1-connection loop`);
    for (const l of r.connections ?? []) if (l.arms[arm]?.errors) parts.push(`${l.arms[arm]!.errors} at ${l.concurrency} connections`);
    if (r.openLoop?.arms[arm]?.errors) parts.push(`${r.openLoop.arms[arm]!.errors} in the open loop`);
    for (const l of r.streaming ?? []) if (l.arms[arm]?.errors) parts.push(`${l.arms[arm]!.errors} streams at ${l.concurrency} connections`);
    if (arm === "gateway" || arm === "portkey") if (r.soak?.[arm]?.errors) parts.push(`${r.soak[arm]!.errors} in the soak`);
    if (parts.length) lines.push(`${arm}: errors: ${parts.join(", ")}`);
  }
  return lines;
}

function backgroundLines(r: Results): string[] {
  const busy = Object.entries(r.cpu ?? {}).filter(([, u]) => u.foreign > 0.05);
  const lines: string[] = [];
  if ((r.backgroundCpu ?? 0) > 0.05) lines.push(`Other processes on the machine used ${fmt(r.backgroundCpu)} cores while the benchmark was idle`);
  if (busy.length) lines.push(`Other processes were busy during: ${busy.map(([p, u]) => `${p} (${fmt(u.foreign)} cores)`).join(", ")}. Their work shares the cores with the arms and inflates the tails.`);
  return lines;
}

function throughputRows(r: Results): Row[] {
  const t = r.throughput;
  if (!t) return [];
  const cell = (arm: ArmName, c: number) => {
    const s = t[arm]?.steps.find((x) => x.concurrency === c);
    if (!s) return "";
    const cores = s.coreUtil.map((u) => `${Math.round(u * 100)}`).join("/");
    return `${fmt(s.rps, 0)}${s.errors ? ` (${s.errors} err)` : ""} · p99 ${fmt(s.p99, 1)} · cpu ${cores}%`;
  };
  return plan.throughput.concurrency
    .filter((c) => ARMS.some((a) => t[a]?.steps.some((s) => s.concurrency === c)))
    .map((c) => [String(c), ...ARMS.map((a) => cell(a, c))]);
}

/** The gateway against the bare proxy route: what Promptgate itself adds, with the framework and the hop taken out. */
function ownCostLine(r: Results): string {
  const parts: string[] = [];
  const sq = r.sequential;
  if (sq?.gateway && sq.proxy) parts.push(`non-streamed p50 ${signed(sq.gateway.p50 - sq.proxy.p50, 3)} ms`);
  const st = streamLevel(r, 1);
  if (st?.gateway && st.proxy) parts.push(`TTFT p50 ${signed(st.gateway.ttft.p50 - st.proxy.ttft.p50, 3)} ms (the proxy's own TTFT overhead over direct: ${signed(st.proxy.ttft.p50 - (st.direct?.ttft.p50 ?? 0), 3)} ms)`);
  const tp = r.throughput;
  if (tp?.gateway?.best && tp.proxy?.best) parts.push(`throughput ${((tp.gateway.best.rps / tp.proxy.best.rps) * 100).toFixed(1)}% of the proxy's (the proxy: ${tp.noop?.best ? ((tp.proxy.best.rps / tp.noop.best.rps) * 100).toFixed(1) : "–"}% of the no-op's)`);
  return parts.length ? `Promptgate's own cost (gateway vs the bare proxy route): ${parts.join("; ")}` : "";
}

function memoryLine(name: string, m: Memory | undefined): string {
  if (!m) return "";
  return `${name}: RSS ${m.rssBeforeMB} MB idle → ${fmt(m.rssAllOpenMB, 1)} MB with all ${m.streams} streams open → ${m.rssPeakMB} MB peak → ${m.rssAfterMB} MB 2 s after; ${m.perStreamKB} kB per stream; ${m.ok}/${m.streams} streams completed, ${m.maxOpen} open at once; CPU ${m.cpuPerChunkUs} µs per relayed chunk (${m.chunksRelayed} chunks of ${plan.memory.chunkDelayMs} ms spacing, set-up included)`;
}

function notesOf(r: Results): string[] {
  const soak = r.soak?.gateway;
  return [
    ...errorLines(r),
    r.idle?.gateway ? `Idle RSS: Promptgate ${fmt(r.idle.gateway.atReadyMB, 1)} MB when first ready, ${fmt(r.idle.gateway.idleMB, 1)} MB after one non-streamed and one streamed call and 2 s idle (the judged figure); Portkey ${fmt(r.idle.portkey?.idleMB, 1)} MB after the same` : "",
    memoryLine(`${plan.memory.streams} streams through Promptgate`, r.memory?.gateway),
    memoryLine(`${plan.memory.streams} streams through Portkey`, r.memory?.portkey),
    soak
      ? `Soak (${soak.requests} non-streamed requests at ${plan.soak.concurrency} connections, after the other phases): Promptgate ${fmt(soak.rps, 0)} req/s, RSS ${soak.rssBeforeMB} → ${soak.rssAfterMB} MB, heap after GC ${soak.heap.map((h) => `${fmt(h.heapUsedMB, 1)} MB at ${h.requests}`).join(", ")}${r.soak?.portkey ? `; Portkey ${fmt(r.soak.portkey.rps, 0)} req/s, RSS ${r.soak.portkey.rssBeforeMB} → ${r.soak.portkey.rssAfterMB} MB` : ""}`
      : "",
    r.openLoop
      ? `Open loop at ${r.openLoop.rate} req/s (${r.openLoop.rateSource}): latency from the scheduled send time; generator send lag p99 ${ARMS.map((a) => `${a} ${fmt(r.openLoop!.arms[a]?.sendLagP99)} ms`).join(", ")}; Promptgate's event-loop lag max: no-op ${fmt(r.openLoop.arms.noop?.eventLoopLagMaxMs, 1)} ms, proxy ${fmt(r.openLoop.arms.proxy?.eventLoopLagMaxMs, 1)} ms, gateway ${fmt(r.openLoop.arms.gateway?.eventLoopLagMaxMs, 1)} ms`
      : "",
    r.workers
      ? `Workers: WEB_CONCURRENCY=${r.workers.workers}, unpinned, ${r.workers.levels.map((l) => `${fmt(l.rps, 0)} req/s at ${l.concurrency} connections (server processes ${fmt(l.serverCores)} cores${l.errors ? `, ${l.errors} errors` : ""})`).join(", ")}; one pinned worker's best at the same connections: ${fmt(r.workers.oneWorkerRps, 0)} req/s`
      : "",
    ...backgroundLines(r),
    ownCostLine(r),
    r.usage ? `Usage events written by the gateway: ${r.usage.usageEvents} for ${r.usage.gatewayRequests} gateway requests` : "",
    r.routing
      ? `Routing (1 connection, same build): one account p50 ${fmt(r.routing.oneAccount.p50)} / p99 ${fmt(r.routing.oneAccount.p99)} ms; two accounts p50 ${fmt(r.routing.twoAccounts.p50)} / p99 ${fmt(r.routing.twoAccounts.p99)} ms (Δ p50 ${fmt(r.routing.twoAccounts.p50 - r.routing.oneAccount.p50)} ms, Δ p99 ${fmt(r.routing.twoAccounts.p99 - r.routing.oneAccount.p99)} ms)`
      : "",
  ].filter(Boolean);
}

function report(r: Results): { text: string; markdown: string } {
  const goal = r.goal ?? [];
  const goalHeader: Row = ["figure", "target", "direct", "Portkey", "Promptgate", "ratio vs Portkey", "result"];
  const goalTableRows: Row[] = goal.map((g) => [g.figure, g.target, g.direct, g.portkey, g.promptgate, g.ratio, g.pass === null ? "n/a" : g.pass ? "PASS" : "FAIL"]);
  const passed = goal.filter((g) => g.pass === true).length;
  const judged = goal.filter((g) => g.pass !== null).length;
  const targets = r.targets ?? [];
  const targetRows: Row[] = targets.map((t) => [t.name, t.threshold, t.measured, t.pass === null ? "n/a" : t.pass ? "PASS" : "FAIL"]);
  const targetHeader: Row = ["check", "threshold", "measured", "result"];
  const tpHeader: Row = ["concurrency", ...ARMS.map((a) => `${a === "noop" ? "no-op" : a} req/s`)];
  const notes = notesOf(r);
  const flags = r.gatewayNodeArgs.length ? `gateway node flags ${r.gatewayNodeArgs.join(" ")}` : "";
  const streamBehaviour = `upstream: ${plan.streaming.headerDelayMs} ms to the first token, then ${plan.streaming.completionTokens} tokens ${plan.streaming.chunkDelayMs} ms apart; non-streamed: 0 ms`;

  const text = [
    "",
    `Promptgate gateway benchmark (${r.mode}${r.scale !== 1 ? `, scale ${r.scale}` : ""}${flags ? `, ${flags}` : ""}), ${r.startedAt}`,
    ...machineLines(r),
    "",
    ...(goalTableRows.length ? [`Goal table (${passed}/${judged} pass):`, textTable(goalHeader, goalTableRows), ""] : []),
    textTable(COMPARISON_HEADER, comparisonRows(r)),
    "",
    ...(r.streaming ? [`Streaming (${streamBehaviour}):`, textTable(STREAMING_HEADER, streamingRows(r)), ""] : []),
    ...(r.dialects ? ["API surfaces (same gateway, same upstream):", textTable(DIALECT_HEADER, dialectRows(r)), ""] : []),
    ...(targetRows.length ? [textTable(targetHeader, targetRows), ""] : []),
    ...(r.throughput ? ["Throughput steps (req/s · p99 ms · core0/core1 busy):", textTable(tpHeader, throughputRows(r)), ""] : []),
    ...notes,
    "",
  ].join("\n");

  const markdown = [
    "# Gateway benchmark results",
    "",
    `Generated by \`npm run bench:gateway\` (${r.mode} mode${r.scale !== 1 ? `, scale ${r.scale}` : ""}${flags ? `, ${flags.replace(/^gateway node flags (.*)$/, "gateway node flags `$1`")}` : ""}) on ${r.startedAt}. See [bench/README.md](../README.md) for what each number means.${r.mode === "quick" ? " **Quick mode: indicative only.**" : ""}`,
    "",
    ...machineLines(r).map((l) => `- ${l}`),
    `- Calls: ${streamBehaviour}. Promptgate pays for a real request: key auth, a quota policy in force, routing, usage recorded, metrics.`,
    "",
    ...(goalTableRows.length
      ? [
          "## Goal table",
          "",
          `Promptgate against Portkey's gateway, every figure from this one run (${passed} of ${judged} judged figures pass). *Added* latency and *overhead* are the arm minus the direct arm; the direct column shows the direct arm's own figure.`,
          "",
          markdownTable(goalHeader, goalTableRows),
          "",
        ]
      : []),
    "## All arms",
    "",
    markdownTable(COMPARISON_HEADER, comparisonRows(r)),
    "",
    ...(r.streaming ? ["## Streaming", "", `${streamBehaviour}. CPU is the serving process's (the proxy arm runs in Promptgate's process) per \`data:\` event the client received, stream set-up included.`, "", markdownTable(STREAMING_HEADER, streamingRows(r)), ""] : []),
    ...(r.dialects
      ? ["## API surfaces", "", "The same calls through the gateway's three ingresses, one after the other in this run, against the same OpenAI-format fake upstream (so Messages and Responses are translated to chat completions and back). Messages and Responses TTFT is the first text delta, not the first event.", "", markdownTable(DIALECT_HEADER, dialectRows(r)), ""]
      : []),
    ...(targetRows.length ? ["## Other checks", "", markdownTable(targetHeader, targetRows), ""] : []),
    ...(r.throughput ? ["## Throughput steps", "", "Each cell: req/s · p99 latency · busy share of core 0 / core 1.", "", markdownTable(tpHeader, throughputRows(r)), ""] : []),
    ...(notes.length ? ["## Notes", "", ...notes.map((l) => `- ${l}`), ""] : []),
  ].join("\n");
  return { text, markdown };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = performance.now();
  const results: Results = {
    mode: quick ? "quick" : "full",
    scale,
    startedAt: new Date().toISOString(),
    machine: machineInfo(),
    plan,
    phases: PHASES.filter((p) => only.has(p)),
    gatewayNodeArgs: [...SERVER_NODE_FLAGS, ...GATEWAY_NODE_ARGS],
  };

  await benchLock(log, () => interrupted);
  if (interrupted) return;
  // Before pinning, and before any server starts: npm may use every core.
  results.peers = ensurePeers(log);
  // A build folder of its own: a test run rebuilding .next must not swap the
  // code under a running benchmark (and the other way round).
  process.env.PROMPTGATE_DIST_DIR ||= ".next-bench";
  // Before pinning: the build may use every core.
  const built = buildIfStale(log);
  if (built) log(`next build took ${built.toFixed(1)} s`);
  if (!pinPid(process.pid, LOAD_CORE)) log("no CPU pinning (taskset missing or one core): results are noisier");

  const db = await startDatabase(log);
  cleanups.push({ name: "database", run: db.stop });
  pinDatabase(db);
  const upstream = await startUpstream();
  cleanups.push({ name: "fake upstream", run: upstream.stop });
  const secrets = newSecrets();
  const { apiKey } = await seedGateway(db.url, secrets, upstream.openaiBaseUrl);
  const metricsToken = randomBytes(24).toString("base64url");
  const gatewayEnv = { DATABASE_URL: db.url, ...secrets, BENCH_UPSTREAM_URL: upstream.openaiBaseUrl, METRICS_TOKEN: metricsToken };
  const gateway = await startGateway(gatewayEnv, GATEWAY_NODE_ARGS);
  let gatewayRunning = true;
  cleanups.push({ name: "gateway", run: () => (gatewayRunning ? gateway.stop() : Promise.resolve()) });
  const atReadyMB = round(rssBytes(gateway.pid) / MB, 1);
  const headers = { "content-type": "application/json", authorization: `Bearer ${apiKey}` };
  await smokeCheck({ url: gateway.url, headers }, "/api/v1/chat/completions");
  sentRequests.gateway += 2; // so the usage check below counts them
  const portkey = await startPortkey(upstream.openaiBaseUrl);
  cleanups.push({ name: "portkey", run: portkey.stop });
  log(`set up in ${seconds(started)}: gateway ${gateway.url} (pid ${gateway.pid}), Portkey ${portkey.url} (pid ${portkey.pid}), fake upstream ${upstream.url} (pid ${upstream.pid})`);
  results.idle = {
    gateway: { atReadyMB, idleMB: await idleRss(gateway.pid) },
    portkey: { atReadyMB: null, idleMB: await idleRss(portkey.pid) },
  };

  const openaiPath = new URL(`${upstream.openaiBaseUrl}/chat/completions`).pathname;
  const rig: Rig = {
    targets: {
      direct: { arm: "direct", origin: upstream.url, path: openaiPath, headers },
      noop: { arm: "noop", origin: gateway.url, path: "/api/bench/noop", headers },
      proxy: { arm: "proxy", origin: gateway.url, path: "/api/bench/proxy", headers },
      gateway: { arm: "gateway", origin: gateway.url, path: "/api/v1/chat/completions", headers },
      portkey: { arm: "portkey", origin: portkey.url, path: "/v1/chat/completions", headers: portkey.headers },
    },
    upstream,
    gateway,
    portkey,
    metricsToken,
  };

  let t = performance.now();
  await warmUp(rig);
  log(`warm-up done in ${seconds(t)}`);

  results.backgroundCpu = await waitForQuiet();

  // A phase disturbed by other processes is repeated once the machine is quiet
  // again. Not the phases that grow the heap (a repeat would start from a
  // grown one) nor those that repeat their own steps.
  const once: Phase[] = ["memory", "soak", "workers", "throughput"];
  const run = async <T>(phase: Phase, what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    if (!only.has(phase) || interrupted) return undefined;
    for (let attempt = 1; ; attempt++) {
      t = performance.now();
      log(`${phase}: ${what}${attempt > 1 ? ` (attempt ${attempt})` : ""}`);
      const before = cpuSnapshot(OURS);
      const out = await fn();
      const use = cpuBetween(before, cpuSnapshot(OURS));
      (results.cpu ??= {})[phase] = { coreUtil: use.coreUtil.map((u) => round(u, 3)), ours: round(use.ours, 3), foreign: round(use.foreign, 3), attempts: attempt };
      const disturbed = use.foreign > NOISY_CORES;
      log(`${phase} done in ${seconds(t)}${use.foreign > 0.05 ? ` (other processes used ${use.foreign.toFixed(2)} cores meanwhile)` : ""}`);
      if (!disturbed || once.includes(phase) || attempt > phaseRetries || interrupted) return out;
      log(`${phase}: repeating, as other processes disturbed it`);
      await waitForQuiet();
    }
  };

  results.memory = await run("memory", `${plan.memory.streams} concurrent streams through each gateway (${plan.memory.completionTokens} chunks every ${plan.memory.chunkDelayMs} ms)`, async () => ({
    gateway: await memoryPhase(gateway.pid, rig.targets.gateway, upstream),
    portkey: await memoryPhase(portkey.pid, rig.targets.portkey, upstream),
  }));
  results.sequential = await run("sequential", `${plan.sequential.requests} requests per arm on one connection, ${plan.sequential.rounds} interleaved rounds`, () => sequentialPhase(rig));
  results.routing = await run("routing", `${plan.sequential.requests} requests on one connection, one account vs two`, () => routingPhase(rig.targets.gateway, upstream));
  results.throughput = await run("throughput", `concurrency steps ${plan.throughput.concurrency.join(", ")} (${plan.throughput.measureMs / 1000} s each)`, () => throughputPhase(rig));
  results.connections = await run("connections", `${plan.connections.levels.join(" and ")} connections per arm, ${plan.connections.measureMs / 1000} s each, ${plan.connections.rounds} round(s)`, () =>
    connectionsPhase(rig),
  );
  const { rate, rateSource } = openLoopRate(results);
  results.openLoop = await run("open", `${rate} req/s (${rateSource}) for ${plan.openLoop.durationMs / 1000} s per arm`, () => openLoopPhase(rig, rate, rateSource));
  results.streaming = await run("streaming", `${plan.streaming.levels.join(", ")} concurrent streams per arm, ${plan.streaming.measureMs / 1000} s each`, () => streamingPhase(rig));
  results.dialects = await run("dialects", `chat, Messages and Responses through the gateway: ${plan.dialects.requests} requests on one connection, then ${plan.dialects.streams} concurrent streams each`, () => dialectsPhase(rig));
  results.soak = await run("soak", `${plan.soak.requests} non-streamed requests through each gateway at ${plan.soak.concurrency} connections`, async () => ({
    gateway: await soakPhase(gateway.pid, rig.targets.gateway, upstream, () => heapAfterGc(gateway)),
    portkey: await soakPhase(portkey.pid, rig.targets.portkey, upstream),
  }));
  if (interrupted) return;

  await portkey.stop();
  gatewayRunning = false;
  await gateway.stop(); // drains, then flushes the usage queue
  results.usage = { gatewayRequests: sentRequests.gateway, usageEvents: await countUsageEvents(db.url) };

  if (only.has("workers") && !interrupted) {
    // Started (and checked) before the phase and stopped after it, so the phase's CPU accounting sees it as ours throughout.
    const workers = await startGateway({ ...gatewayEnv, WEB_CONCURRENCY: String(plan.workers.count) }, GATEWAY_NODE_ARGS, { pin: false });
    cleanups.push({ name: "workers", run: workers.stop });
    await smokeCheck({ url: workers.url, headers }, "/api/v1/chat/completions");
    const oneWorker = results.connections?.map((l) => l.arms.gateway?.rps ?? 0);
    results.workers = await run("workers", `WEB_CONCURRENCY=${plan.workers.count}, unpinned, at ${plan.connections.levels.join(" and ")} connections`, () =>
      workersPhase(workers, headers, oneWorker?.length ? Math.max(...oneWorker) : null),
    );
    await workers.stop();
  }
  if (interrupted) return;

  results.goal = goalRows(results);
  results.targets = targetsOf(results);
  results.finishedAt = new Date().toISOString();

  const { text, markdown } = report(results);
  process.stdout.write(text);
  const dir = join(ROOT, "bench/results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${out}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(dir, `${out}.md`), markdown);
  log(`wrote bench/results/${out}.json and bench/results/${out}.md; total ${seconds(started)}`);
}

main()
  .then(cleanup)
  .then(() => process.exit(0))
  .catch(async (err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await cleanup();
    process.exit(1);
  });
