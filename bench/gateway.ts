// `npm run bench:gateway`: what the gateway costs, measured in one run against
// three baselines on the same machine: the fake upstream called directly, a
// no-op route in the same Next build (the framework floor), and a bare proxy
// route (the floor of any gateway on Next). See bench/README.md.
//
//   npm run bench:gateway                    full run (~7 minutes)
//   npm run bench:gateway -- --quick         ~2 minutes, indicative only (or BENCH_QUICK=1)
//   npm run bench:gateway -- --scale=0.5     every duration and count × 0.5 (or BENCH_SCALE)
//   npm run bench:gateway -- --only=throughput,sequential --out=partial   (bench/results/partial.{json,md})
//   BENCH_GATEWAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=.data/bench-profile" npm run bench:gateway
//   BENCH_QUIET_WAIT_S=0 npm run bench:gateway   do not wait for other processes to go quiet
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Pool } from "undici";
import { buildIfStale } from "../scripts/lib/build.ts";
import { SERVER_NODE_FLAGS } from "../scripts/lib/server-flags.ts";
import {
  closePool, holdStreams, openLoop, openPool, sentRequests, sequential, streamOnce, sustained,
  type ArmName, type OpenLoop, type Sequential, type StreamGauge, type StreamResult, type Sustained, type Target,
} from "./lib/load.ts";
import { cpuBetween, cpuSnapshot, machineInfo, pinPid, processCpuSeconds, rssBytes, type CpuUse, type MachineInfo } from "./lib/machine.ts";
import {
  LOAD_CORE, ROOT, benchLock, countUsageEvents, newSecrets, pinDatabase, seedGateway, startDatabase, startGateway, startUpstream,
  type Gateway, type Upstream,
} from "./lib/servers.ts";
import { round, roundSummary, summarise, type Summary } from "./lib/stats.ts";
import { fmt, markdownTable, ratio, signed, textTable, type Row } from "./lib/table.ts";

const PHASES = ["memory", "sequential", "routing", "open", "streaming", "throughput"] as const;
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
// Everything the benchmark runs descends from this process (gateway, upstream, Postgres).
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

const GATEWAY_NODE_ARGS = (process.env.BENCH_GATEWAY_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);

const n = (full: number, min: number) => Math.max(min, Math.round(full * scale));

/** Every knob of the run, written into the results so two runs can be compared. */
const plan = {
  sequential: { warmup: n(500, 100), requests: n(2000, 400), rounds: 4 },
  openLoop: { rate: Number(process.env.BENCH_RATE ?? 300), durationMs: n(10_000, 3000), maxConnections: 256 },
  streaming: { warmup: n(20, 5), streams: n(200, 40), rounds: 4, completionTokens: 8, chunkDelayMs: 20 },
  throughput: { concurrency: [1, 2, 4, 8, 16, 32, 64, 128, 256], warmMs: n(1000, 300), measureMs: n(4000, 1200), minGain: 0.03, patience: 3 },
  // 4 chunks/s per stream keeps the relay work of 1,000 streams well under one core, so all of them are open at once.
  memory: { streams: Number(process.env.BENCH_STREAMS ?? 1000), completionTokens: quick ? 40 : 60, chunkDelayMs: 250, batch: 100, batchEveryMs: 100 },
};

const CHAT = { model: "bench-model", messages: [{ role: "user", content: "Say hello in five words." }], max_tokens: 16 };
const NON_STREAM_BODY = JSON.stringify(CHAT);
const TWO_ACCOUNT_BODY = JSON.stringify({ ...CHAT, model: "bench-model-two" });
const STREAM_BODY = JSON.stringify({ ...CHAT, stream: true, stream_options: { include_usage: true } });
const ARMS: ArmName[] = ["direct", "noop", "proxy", "gateway"];
const STREAM_ARMS: ArmName[] = ["direct", "proxy", "gateway"];

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
  /** Busy share of each core, the gateway process's CPU (in cores) and everything not ours (in cores). */
  coreUtil: number[]; gatewayCpu: number | null; foreignCpu: number;
};

type Results = {
  mode: "full" | "quick";
  scale: number;
  startedAt: string;
  finishedAt?: string;
  machine: MachineInfo;
  plan: typeof plan;
  /** The gateway process's node flags: the server's own (scripts/lib/server-flags.ts), then BENCH_GATEWAY_NODE_ARGS. */
  gatewayNodeArgs: string[];
  phases: Phase[];
  /** CPU used by processes outside the benchmark, in cores, measured idle before the phases. */
  backgroundCpu?: number;
  cpu?: Partial<Record<Phase, CpuUse & { attempts: number }>>;
  sequential?: ArmMap<Summary & { errors: number }>;
  routing?: { oneAccount: Summary & { errors: number }; twoAccounts: Summary & { errors: number } };
  openLoop?: { rate: number; arms: ArmMap<{ latency: Summary; service: Summary; sendLagP99: number; errors: number; achievedRps: number }> };
  streaming?: ArmMap<{ ttft: Summary; gaps: Summary; bunchedShare: number; errors: number }>;
  throughput?: ArmMap<{ best: Omit<Step, "errors"> | null; steps: Step[]; stoppedBecause: string }>;
  memory?: {
    streams: number; ok: number; failed: number; maxOpen: number; rampMs: number;
    /** Idle before; highest while ≥ 95% of the streams were open; highest overall; 2 s after the last ended. */
    rssBeforeMB: number; rssAllOpenMB: number; rssPeakMB: number; rssAfterMB: number;
    /** Peak minus idle: what holding the streams cost, the conservative reading. */
    extraMB: number; perStreamKB: number;
    /** Gateway CPU for the phase divided by the chunks it relayed (stream set-up included). */
    gatewayCpuS: number; chunksRelayed: number; cpuPerChunkUs: number;
    timeline: { ms: number; open: number; rssMB: number }[];
  };
  usage?: { gatewayRequests: number; usageEvents: number };
  targets?: { name: string; threshold: string; measured: string; pass: boolean | null }[];
};

async function warmUp(targets: Record<ArmName, Target>, upstream: Upstream) {
  await upstream.setBehaviour({});
  for (const arm of ARMS) {
    const pool = openPool(targets[arm], 4);
    await Promise.all(Array.from({ length: 4 }, () => sequential(pool, targets[arm], NON_STREAM_BODY, Math.ceil(plan.sequential.warmup / 4))));
    await closePool(pool);
  }
  await upstream.setBehaviour({ completionTokens: plan.streaming.completionTokens, chunkDelayMs: 1 });
  for (const arm of STREAM_ARMS) {
    const pool = openPool(targets[arm], 4);
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let i = 0; i < Math.ceil(plan.streaming.warmup / 4); i++) await streamOnce(pool, targets[arm], STREAM_BODY);
    }));
    await closePool(pool);
  }
}

async function memoryPhase(gateway: Gateway, target: Target, upstream: Upstream): Promise<NonNullable<Results["memory"]>> {
  const p = plan.memory;
  await upstream.setBehaviour({ completionTokens: p.completionTokens, chunkDelayMs: p.chunkDelayMs });
  // Let the idle process settle (usage flush, timers) before the baseline reading.
  await new Promise((r) => setTimeout(r, 2000));
  const before = rssBytes(gateway.pid);
  const gauge: StreamGauge = { open: 0, maxOpen: 0 };
  const timeline: { ms: number; open: number; rss: number }[] = [];
  const t0 = performance.now();
  const sample = () => timeline.push({ ms: performance.now() - t0, open: gauge.open, rss: rssBytes(gateway.pid) });
  const sampler = setInterval(sample, 100);
  const cpu0 = processCpuSeconds(gateway.pid);
  let held;
  try {
    held = await holdStreams(target, STREAM_BODY, p.streams, { batch: p.batch, batchEveryMs: p.batchEveryMs, gauge });
  } finally {
    clearInterval(sampler);
  }
  sample();
  const cpu = processCpuSeconds(gateway.pid) - cpu0;
  // role, content pieces, finish, usage, [DONE]
  const chunks = held.ok * (p.completionTokens + 4);
  await new Promise((r) => setTimeout(r, 2000));
  const after = rssBytes(gateway.pid);
  const peak = Math.max(before, ...timeline.map((s) => s.rss));
  const whileOpen = timeline.filter((s) => s.open >= p.streams * 0.95).map((s) => s.rss);
  const allOpen = whileOpen.length ? Math.max(...whileOpen) : Number.NaN;
  return {
    streams: p.streams, ok: held.ok, failed: held.failed, maxOpen: gauge.maxOpen, rampMs: round(held.rampMs, 0),
    rssBeforeMB: round(before / MB, 1), rssAllOpenMB: round(allOpen / MB, 1), rssPeakMB: round(peak / MB, 1), rssAfterMB: round(after / MB, 1),
    extraMB: round((peak - before) / MB, 1), perStreamKB: round((peak - before) / p.streams / 1000, 1),
    gatewayCpuS: round(cpu, 2), chunksRelayed: chunks, cpuPerChunkUs: round((cpu / Math.max(1, chunks)) * 1e6, 1),
    // Every 5th sample is enough to see the shape.
    timeline: timeline.filter((_, i) => i % 5 === 0).map((s) => ({ ms: Math.round(s.ms), open: s.open, rssMB: round(s.rss / MB, 1) })),
  };
}

async function sequentialPhase(targets: Record<ArmName, Target>, upstream: Upstream): Promise<NonNullable<Results["sequential"]>> {
  const p = plan.sequential;
  await upstream.setBehaviour({});
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
  await upstream.setBehaviour({});
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

async function openLoopPhase(targets: Record<ArmName, Target>, upstream: Upstream): Promise<NonNullable<Results["openLoop"]>> {
  const p = plan.openLoop;
  await upstream.setBehaviour({});
  const arms: NonNullable<Results["openLoop"]>["arms"] = {};
  for (const arm of ARMS) {
    const r: OpenLoop = await openLoop(targets[arm], NON_STREAM_BODY, p.rate, p.durationMs, p.maxConnections);
    arms[arm] = {
      latency: roundSummary(summarise(r.latencies)),
      service: roundSummary(summarise(r.service)),
      sendLagP99: round(summarise(r.sendLag).p99),
      errors: r.errors,
      achievedRps: round(r.achievedRps, 1),
    };
    log(`  open loop ${arm}: p50 ${fmt(arms[arm]!.latency.p50)} ms, p99 ${fmt(arms[arm]!.latency.p99)} ms, ${r.errors} errors`);
  }
  return { rate: p.rate, arms };
}

async function streamingPhase(targets: Record<ArmName, Target>, upstream: Upstream): Promise<NonNullable<Results["streaming"]>> {
  const p = plan.streaming;
  await upstream.setBehaviour({ completionTokens: p.completionTokens, chunkDelayMs: p.chunkDelayMs });
  const pools = Object.fromEntries(STREAM_ARMS.map((a) => [a, openPool(targets[a], 1)])) as Record<ArmName, Pool>;
  const runs: ArmMap<StreamResult[]> = {};
  try {
    for (let round = 0; round < p.rounds; round++) {
      for (const arm of STREAM_ARMS) {
        for (let i = 0; i < Math.ceil(p.streams / p.rounds); i++) (runs[arm] ??= []).push(await streamOnce(pools[arm]!, targets[arm], STREAM_BODY));
      }
    }
  } finally {
    await Promise.all(STREAM_ARMS.map((a) => closePool(pools[a]!)));
  }
  const out: NonNullable<Results["streaming"]> = {};
  for (const arm of STREAM_ARMS) {
    const ok = runs[arm]!.filter((r) => r.ok);
    const gaps = ok.flatMap((r) => r.gapsMs);
    out[arm] = {
      ttft: roundSummary(summarise(ok.map((r) => r.ttftMs))),
      gaps: roundSummary(summarise(gaps)),
      // Gaps far below the upstream's spacing mean events were held back and delivered together.
      bunchedShare: round(gaps.filter((g) => g < p.chunkDelayMs / 4).length / Math.max(1, gaps.length), 4),
      errors: runs[arm]!.length - ok.length,
    };
  }
  return out;
}

async function throughputPhase(targets: Record<ArmName, Target>, upstream: Upstream, gateway: Gateway): Promise<NonNullable<Results["throughput"]>> {
  const p = plan.throughput;
  await upstream.setBehaviour({});
  const out: NonNullable<Results["throughput"]> = {};
  for (const arm of ARMS) {
    const steps: Step[] = [];
    let best: Step | null = null;
    let flat = 0;
    let stoppedBecause = `reached concurrency ${p.concurrency.at(-1)}`;
    for (const concurrency of p.concurrency) {
      let cpu0: number, before, r: Sustained, use;
      for (let attempt = 1; ; attempt++) {
        cpu0 = processCpuSeconds(gateway.pid);
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
        // Only meaningful for the arms the gateway process serves.
        gatewayCpu: arm === "direct" ? null : round((processCpuSeconds(gateway.pid) - cpu0) / wall, 3),
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

// ---------------------------------------------------------------- report

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
  const st = r.streaming;
  if (st?.gateway && st.direct) {
    const overhead = st.gateway.ttft.p50 - st.direct.ttft.p50;
    out.push({ name: "TTFT overhead p50 (gateway − direct)", threshold: "≤ 2 ms", measured: `${fmt(overhead, 3)} ms`, pass: overhead <= 2 });
    const gap = st.gateway.gaps.p50;
    const delay = plan.streaming.chunkDelayMs;
    const spaced = Math.abs(gap - delay) <= delay * 0.25 && st.gateway.bunchedShare < 0.05;
    out.push({
      name: `Chunks arrive spaced through the gateway (upstream every ${delay} ms)`,
      threshold: `median gap ${delay} ms ± 25%, < 5% of gaps under ${delay / 4} ms`,
      measured: `median ${fmt(gap)} ms, ${(st.gateway.bunchedShare * 100).toFixed(1)}% bunched`,
      pass: spaced,
    });
  }
  const m = r.memory;
  if (m) {
    const complete = m.maxOpen >= m.streams * 0.95 && m.failed === 0;
    out.push({
      name: `Extra gateway RSS for ${m.streams} concurrent streams`,
      threshold: "≤ 100 MB",
      measured: `${fmt(m.extraMB, 1)} MB (${m.maxOpen} open at once, ${m.failed} failed)`,
      pass: complete ? m.extraMB <= 100 : null,
    });
  }
  return out;
}

function comparisonRows(r: Results): Row[] {
  const rows: Row[] = [];
  const add = (label: string, d?: number | null, o?: number | null, x?: number | null, g?: number | null, digits = 3) =>
    rows.push([
      label, fmt(d, digits), fmt(o, digits), fmt(x, digits), fmt(g, digits),
      ratio(g, d), signed(g != null && d != null ? g - d : null, digits), ratio(g, o), signed(g != null && o != null ? g - o : null, digits),
      signed(g != null && x != null ? g - x : null, digits),
    ]);
  if (r.sequential) {
    const s = r.sequential;
    add("non-streamed, 1 conn: p50 ms", s.direct?.p50, s.noop?.p50, s.proxy?.p50, s.gateway?.p50);
    add("non-streamed, 1 conn: p99 ms", s.direct?.p99, s.noop?.p99, s.proxy?.p99, s.gateway?.p99);
  }
  if (r.openLoop) {
    const a = r.openLoop.arms;
    add(`open loop ${r.openLoop.rate}/s: p50 ms`, a.direct?.latency.p50, a.noop?.latency.p50, a.proxy?.latency.p50, a.gateway?.latency.p50);
    add(`open loop ${r.openLoop.rate}/s: p99 ms`, a.direct?.latency.p99, a.noop?.latency.p99, a.proxy?.latency.p99, a.gateway?.latency.p99);
  }
  if (r.streaming) {
    const s = r.streaming;
    add("stream TTFT: p50 ms", s.direct?.ttft.p50, null, s.proxy?.ttft.p50, s.gateway?.ttft.p50);
    add("stream TTFT: p99 ms", s.direct?.ttft.p99, null, s.proxy?.ttft.p99, s.gateway?.ttft.p99);
    add(`chunk gap (upstream ${plan.streaming.chunkDelayMs} ms): median ms`, s.direct?.gaps.p50, null, s.proxy?.gaps.p50, s.gateway?.gaps.p50);
  }
  if (r.throughput) {
    const t = r.throughput;
    add("max sustained req/s, no errors", t.direct?.best?.rps, t.noop?.best?.rps, t.proxy?.best?.rps, t.gateway?.best?.rps, 0);
    const at = (a: ArmName) => String(t[a]?.best?.concurrency ?? "–");
    rows.push(["  at concurrency", at("direct"), at("noop"), at("proxy"), at("gateway"), "", "", "", "", ""]);
  }
  if (r.memory) {
    rows.push([`extra RSS, ${r.memory.streams} streams: MB`, "–", "–", "–", fmt(r.memory.extraMB, 1), "", "", "", "", ""]);
  }
  return rows;
}

const COMPARISON_HEADER: Row = ["metric", "direct", "no-op", "proxy", "gateway", "gw/direct", "gw−direct", "gw/no-op", "gw−no-op", "gw−proxy"];

function machineLines(m: MachineInfo): string[] {
  return [
    `CPU: ${m.cpuModel}, ${m.cores} cores${m.hypervisor ? ` (${m.hypervisor} guest)` : ""}, ${m.memoryGiB} GiB RAM`,
    `OS: ${m.os}; Node ${m.node}; Next ${m.next}; undici ${m.undici}; commit ${m.commit ?? "unknown"}`,
    `Pinning: ${m.pinning}`,
  ];
}

function errorLines(r: Results): string[] {
  const lines: string[] = [];
  for (const arm of ARMS) {
    const parts: string[] = [];
    if (r.sequential?.[arm]?.errors) parts.push(`${r.sequential[arm]!.errors} in the 1-connection loop`);
    if (r.openLoop?.arms[arm]?.errors) parts.push(`${r.openLoop.arms[arm]!.errors} in the open loop`);
    if (r.streaming?.[arm]?.errors) parts.push(`${r.streaming[arm]!.errors} streams`);
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
    .map((c) => [String(c), cell("direct", c), cell("noop", c), cell("proxy", c), cell("gateway", c)]);
}

/** The gateway against the bare proxy route: what Promptgate itself adds, with the framework and the hop taken out. */
function ownCostLine(r: Results): string {
  const parts: string[] = [];
  const sq = r.sequential;
  if (sq?.gateway && sq.proxy) parts.push(`non-streamed p50 ${signed(sq.gateway.p50 - sq.proxy.p50, 3)} ms`);
  const st = r.streaming;
  if (st?.gateway && st.proxy) parts.push(`TTFT p50 ${signed(st.gateway.ttft.p50 - st.proxy.ttft.p50, 3)} ms (the proxy's own TTFT overhead over direct: ${signed(st.proxy.ttft.p50 - (st.direct?.ttft.p50 ?? 0), 3)} ms)`);
  const tp = r.throughput;
  if (tp?.gateway?.best && tp.proxy?.best) parts.push(`throughput ${((tp.gateway.best.rps / tp.proxy.best.rps) * 100).toFixed(1)}% of the proxy's (the proxy: ${tp.noop?.best ? ((tp.proxy.best.rps / tp.noop.best.rps) * 100).toFixed(1) : "–"}% of the no-op's)`);
  return parts.length ? `Promptgate's own cost (gateway vs the bare proxy route): ${parts.join("; ")}` : "";
}

function report(r: Results): { text: string; markdown: string } {
  const targets = r.targets ?? [];
  const targetRows: Row[] = targets.map((t) => [t.name, t.threshold, t.measured, t.pass === null ? "n/a" : t.pass ? "PASS" : "FAIL"]);
  const targetHeader: Row = ["target", "threshold", "measured", "result"];
  const tpHeader: Row = ["concurrency", "direct req/s", "no-op req/s", "proxy req/s", "gateway req/s"];
  const notes = [
    ...errorLines(r),
    r.memory
      ? `RSS of the gateway process: ${r.memory.rssBeforeMB} MB idle → ${fmt(r.memory.rssAllOpenMB, 1)} MB with all ${r.memory.streams} streams open → ${r.memory.rssPeakMB} MB peak → ${r.memory.rssAfterMB} MB 2 s after; ${r.memory.perStreamKB} kB per stream; ${r.memory.ok}/${r.memory.streams} streams completed, ${r.memory.maxOpen} open at once; gateway CPU ${r.memory.cpuPerChunkUs} µs per relayed chunk (${r.memory.chunksRelayed} chunks, set-up included)`
      : "",
    ...backgroundLines(r),
    r.openLoop ? `Open loop: latency from the scheduled send time; generator send lag p99 ${ARMS.map((a) => `${a} ${fmt(r.openLoop!.arms[a]?.sendLagP99)} ms`).join(", ")}` : "",
    ownCostLine(r),
    r.usage ? `Usage events written by the gateway: ${r.usage.usageEvents} for ${r.usage.gatewayRequests} gateway requests` : "",
    r.routing
      ? `Routing (1 connection, same build): one account p50 ${fmt(r.routing.oneAccount.p50)} / p99 ${fmt(r.routing.oneAccount.p99)} ms; two accounts p50 ${fmt(r.routing.twoAccounts.p50)} / p99 ${fmt(r.routing.twoAccounts.p99)} ms (Δ p50 ${fmt(r.routing.twoAccounts.p50 - r.routing.oneAccount.p50)} ms, Δ p99 ${fmt(r.routing.twoAccounts.p99 - r.routing.oneAccount.p99)} ms)`
      : "",
  ].filter(Boolean);

  const text = [
    "",
    `Promptgate gateway benchmark (${r.mode}${r.scale !== 1 ? `, scale ${r.scale}` : ""}${r.gatewayNodeArgs.length ? `, gateway node flags: ${r.gatewayNodeArgs.join(" ")}` : ""}), ${r.startedAt}`,
    ...machineLines(r.machine),
    "",
    textTable(COMPARISON_HEADER, comparisonRows(r)),
    "",
    ...(targetRows.length ? [textTable(targetHeader, targetRows), ""] : []),
    ...(r.throughput ? ["Throughput steps (req/s · p99 ms · core0/core1 busy):", textTable(tpHeader, throughputRows(r)), ""] : []),
    ...notes,
    "",
  ].join("\n");

  const markdown = [
    "# Gateway benchmark results",
    "",
    `Generated by \`npm run bench:gateway\` (${r.mode} mode${r.scale !== 1 ? `, scale ${r.scale}` : ""}${r.gatewayNodeArgs.length ? `, gateway node flags \`${r.gatewayNodeArgs.join(" ")}\`` : ""}) on ${r.startedAt}. See [bench/README.md](../README.md) for what each number means.${r.mode === "quick" ? " **Quick mode: indicative only.**" : ""}`,
    "",
    ...machineLines(r.machine).map((l) => `- ${l}`),
    "",
    "## Gateway vs direct upstream vs no-op route",
    "",
    markdownTable(COMPARISON_HEADER, comparisonRows(r)),
    "",
    ...(targetRows.length ? ["## Targets", "", markdownTable(targetHeader, targetRows), ""] : []),
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
  const gateway = await startGateway({ DATABASE_URL: db.url, ...secrets, BENCH_UPSTREAM_URL: upstream.openaiBaseUrl }, GATEWAY_NODE_ARGS);
  cleanups.push({ name: "gateway", run: gateway.stop });
  log(`set up in ${seconds(started)}: gateway ${gateway.url} (pid ${gateway.pid}), fake upstream ${upstream.url} (pid ${upstream.pid})`);

  const headers = { "content-type": "application/json", authorization: `Bearer ${apiKey}` };
  const targets: Record<ArmName, Target> = {
    direct: { arm: "direct", origin: upstream.url, path: new URL(`${upstream.openaiBaseUrl}/chat/completions`).pathname, headers },
    noop: { arm: "noop", origin: gateway.url, path: "/api/bench/noop", headers },
    proxy: { arm: "proxy", origin: gateway.url, path: "/api/bench/proxy", headers },
    gateway: { arm: "gateway", origin: gateway.url, path: "/api/v1/chat/completions", headers },
  };

  let t = performance.now();
  await warmUp(targets, upstream);
  log(`warm-up done in ${seconds(t)}`);

  results.backgroundCpu = await waitForQuiet();

  // A phase disturbed by other processes is repeated once the machine is quiet
  // again. Not the memory phase: a repeat would start from a grown heap.
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
      if (!disturbed || phase === "memory" || phase === "throughput" || attempt > phaseRetries || interrupted) return out;
      log(`${phase}: repeating, as other processes disturbed it`);
      await waitForQuiet();
    }
  };

  results.memory = await run("memory", `${plan.memory.streams} concurrent gateway streams (${plan.memory.completionTokens} chunks every ${plan.memory.chunkDelayMs} ms)`, () =>
    memoryPhase(gateway, targets.gateway, upstream),
  );
  results.sequential = await run("sequential", `${plan.sequential.requests} requests per arm on one connection, ${plan.sequential.rounds} interleaved rounds`, () =>
    sequentialPhase(targets, upstream),
  );
  results.routing = await run("routing", `${plan.sequential.requests} requests on one connection, one account vs two`, () => routingPhase(targets.gateway, upstream));
  results.openLoop = await run("open", `${plan.openLoop.rate} req/s for ${plan.openLoop.durationMs / 1000} s per arm`, () => openLoopPhase(targets, upstream));
  results.streaming = await run("streaming", `${plan.streaming.streams} streams per arm on one connection (${plan.streaming.completionTokens} chunks every ${plan.streaming.chunkDelayMs} ms)`, () =>
    streamingPhase(targets, upstream),
  );
  results.throughput = await run("throughput", `concurrency steps ${plan.throughput.concurrency.join(", ")} (${plan.throughput.measureMs / 1000} s each)`, () =>
    throughputPhase(targets, upstream, gateway),
  );
  if (interrupted) return;

  await gateway.stop(); // drains, then flushes the usage queue
  results.usage = { gatewayRequests: sentRequests.gateway, usageEvents: await countUsageEvents(db.url) };
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
