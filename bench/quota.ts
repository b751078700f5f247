// `npm run bench:quota`: what the quota step adds to a gateway call, measured in
// one run on one `next start` against the same fake upstream with two keys:
// one under no policy (admission makes no database call) and one under a
// policy that never binds (admission reserves on two counters). The difference
// is the quota step. Also counts database work per request from Postgres' own
// statistics: quota_reserve / quota_settle calls and transactions.
//
//   npm run bench:quota                 ~2 minutes
//   npm run bench:quota -- --quick      ~40 s, indicative only
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildIfStale } from "../scripts/lib/build.ts";
import { withClient } from "../tests/support/postgres.ts";
import { closePool, openLoop, openPool, sequential, sustained, type Sequential, type Target } from "./lib/load.ts";
import { machineInfo } from "./lib/machine.ts";
import { ROOT, newSecrets, pinDatabase, seedGateway, startDatabase, startGateway, startUpstream } from "./lib/servers.ts";
import { round, roundSummary, summarise, type Summary } from "./lib/stats.ts";
import { fmt, markdownTable, signed, textTable } from "./lib/table.ts";

const { values: argv } = parseArgs({ options: { quick: { type: "boolean" }, help: { type: "boolean", short: "h" } } });
if (argv.help) {
  process.stdout.write("Usage: npm run bench:quota [-- --quick]\n");
  process.exit(0);
}
const quick = argv.quick === true || process.env.BENCH_QUICK === "1";
const scale = quick ? 0.25 : 1;
const n = (full: number, min: number) => Math.max(min, Math.round(full * scale));
const plan = {
  sequential: { warmup: n(400, 100), perRound: n(500, 150), rounds: 4 },
  capacity: { concurrency: 16, warmMs: n(1000, 500), measureMs: n(4000, 1500) },
  openLoop: { share: 0.5, durationMs: n(8000, 3000) },
  statsSettleMs: 11_000,
};

const log = (line: string) => process.stderr.write(`[bench:quota] ${line}\n`);
const BODY = JSON.stringify({ model: "bench-model", messages: [{ role: "user", content: "Say hello in five words." }], max_tokens: 16 });
type Arm = "no policy" | "policy";
const ARMS: Arm[] = ["no policy", "policy"];

const cleanups: (() => Promise<void>)[] = [];
async function cleanup() {
  for (const c of cleanups.splice(0).reverse()) await c().catch((err: unknown) => log(`cleanup failed: ${String(err)}`));
}
process.on("SIGINT", () => void cleanup().finally(() => process.exit(130)));

type DbStats = { reserve: number; settle: number; xacts: number };
async function dbStats(url: string): Promise<DbStats> {
  return withClient(url, async (c) => {
    const fns = await c.query<{ funcname: string; calls: string }>(`SELECT funcname, calls FROM pg_stat_user_functions WHERE funcname IN ('quota_reserve', 'quota_settle')`);
    const x = await c.query<{ x: string }>(`SELECT (xact_commit + xact_rollback)::text AS x FROM pg_stat_database WHERE datname = current_database()`);
    const calls = (f: string) => Number(fns.rows.find((r) => r.funcname === f)?.calls ?? 0);
    return { reserve: calls("quota_reserve"), settle: calls("quota_settle"), xacts: Number(x.rows[0]?.x ?? 0) };
  });
}
// Backends report their statistics when idle for a while; wait so that a phase's numbers are all in.
const settleStats = () => new Promise((r) => setTimeout(r, plan.statsSettleMs));

async function main() {
  const machine = machineInfo();
  log(`build: ${buildIfStale(log) ? "rebuilt" : "current"}`);
  const db = await startDatabase(log);
  cleanups.push(db.stop);
  pinDatabase(db);
  // Count plpgsql calls (pg_stat_user_functions) for every session the gateway opens.
  await withClient(db.url, async (c) => {
    const name = (await c.query<{ d: string }>(`SELECT current_database() AS d`)).rows[0]!.d;
    await c.query(`ALTER DATABASE ${c.escapeIdentifier(name)} SET track_functions = 'pl'`);
  });
  const upstream = await startUpstream();
  cleanups.push(upstream.stop);
  await upstream.setBehaviour({ completionTokens: 8, promptTokens: 12 });
  const secrets = newSecrets();
  const { apiKey: freeKey } = await seedGateway(db.url, secrets, upstream.openaiBaseUrl);

  // The second key and its policy: limits far beyond anything this run sends.
  process.env.DATABASE_URL = db.url;
  const { createApiKey } = await import("@/lib/auth/api-keys");
  const { createPolicy } = await import("@/lib/quota/policies");
  const { closeDb } = await import("@/lib/db");
  const system = { kind: "system", name: "bench" } as const;
  const limited = await createApiKey(system, { name: "bench-quota", scopes: ["completions"] });
  await createPolicy(system, { name: "bench-never-binding", scope: "key", apiKeyId: limited.row.id, requestsPerMinute: 100_000_000, tokensPerMinute: 2_000_000_000, tokensPerDay: 2_000_000_000 });
  await closeDb();

  const gateway = await startGateway({ DATABASE_URL: db.url, ...secrets });
  cleanups.push(gateway.stop);
  const target = (key: string): Target => ({
    arm: "gateway", origin: gateway.url, path: "/api/v1/chat/completions",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
  });
  const targets: Record<Arm, Target> = { "no policy": target(freeKey), policy: target(limited.key) };

  // 1. One connection, closed loop, arms interleaved round by round.
  log(`sequential: ${plan.sequential.rounds} rounds × ${plan.sequential.perRound} per arm`);
  const seq: Record<Arm, Sequential> = { "no policy": { latencies: [], errors: 0 }, policy: { latencies: [], errors: 0 } };
  const pools = Object.fromEntries(ARMS.map((a) => [a, openPool(targets[a], 1)])) as Record<Arm, ReturnType<typeof openPool>>;
  for (const a of ARMS) await sequential(pools[a], targets[a], BODY, plan.sequential.warmup);
  const beforeByArm: Partial<Record<Arm, DbStats>> = {};
  const afterByArm: Partial<Record<Arm, DbStats>> = {};
  // Database work per request, measured per arm over its own requests only.
  for (const a of ARMS) {
    await settleStats();
    beforeByArm[a] = await dbStats(db.url);
    for (let r = 0; r < plan.sequential.rounds; r++) await sequential(pools[a], targets[a], BODY, plan.sequential.perRound, seq[a]);
    await settleStats();
    afterByArm[a] = await dbStats(db.url);
  }
  // Latency comparison: interleave more rounds so drift hits both arms alike.
  for (let r = 0; r < plan.sequential.rounds; r++) for (const a of r % 2 ? ARMS : [...ARMS].reverse()) await sequential(pools[a], targets[a], BODY, plan.sequential.perRound, seq[a]);
  for (const a of ARMS) await closePool(pools[a]);

  // 2. Capacity with the policy, then an open loop at half of it for both arms.
  log(`capacity: ${plan.capacity.concurrency} connections`);
  const cap = await sustained(targets.policy, BODY, plan.capacity.concurrency, plan.capacity.warmMs, plan.capacity.measureMs);
  const rate = Math.max(10, Math.round(cap.rps * plan.openLoop.share));
  log(`capacity ≈ ${cap.rps.toFixed(0)} req/s; open loop at ${rate} req/s`);
  const open: Partial<Record<Arm, Summary & { errors: number; achievedRps: number }>> = {};
  for (const a of ARMS) {
    const r = await openLoop(targets[a], BODY, rate, plan.openLoop.durationMs);
    open[a] = { ...roundSummary(summarise(r.latencies)), errors: r.errors, achievedRps: round(r.achievedRps, 1) };
  }

  const s: Record<Arm, Summary> = { "no policy": roundSummary(summarise(seq["no policy"].latencies)), policy: roundSummary(summarise(seq.policy.latencies)) };
  const per = (a: Arm, f: keyof DbStats) => {
    const count = plan.sequential.rounds * plan.sequential.perRound;
    return (afterByArm[a]![f] - beforeByArm[a]![f]) / count;
  };
  const results = {
    machine,
    plan,
    sequential: {
      noPolicy: { ...s["no policy"], errors: seq["no policy"].errors },
      policy: { ...s.policy, errors: seq.policy.errors },
      addedP50: round(s.policy.p50 - s["no policy"].p50),
      addedP99: round(s.policy.p99 - s["no policy"].p99),
    },
    capacity: { concurrency: plan.capacity.concurrency, rps: round(cap.rps, 1), errors: cap.errors },
    openLoop: {
      rate,
      noPolicy: open["no policy"],
      policy: open.policy,
      addedP50: round(open.policy!.p50 - open["no policy"]!.p50),
      addedP99: round(open.policy!.p99 - open["no policy"]!.p99),
    },
    databasePerRequest: Object.fromEntries(ARMS.map((a) => [a, { reserveCalls: round(per(a, "reserve")), settleCalls: round(per(a, "settle")), transactions: round(per(a, "xacts")) }])),
  };

  const rows = [
    ["1 connection p50 (ms)", fmt(s["no policy"].p50, 3), fmt(s.policy.p50, 3), signed(results.sequential.addedP50, 3)],
    ["1 connection p99 (ms)", fmt(s["no policy"].p99, 3), fmt(s.policy.p99, 3), signed(results.sequential.addedP99, 3)],
    [`${rate} req/s (50% of max) p50 (ms)`, fmt(open["no policy"]!.p50, 3), fmt(open.policy!.p50, 3), signed(results.openLoop.addedP50, 3)],
    [`${rate} req/s (50% of max) p99 (ms)`, fmt(open["no policy"]!.p99, 3), fmt(open.policy!.p99, 3), signed(results.openLoop.addedP99, 3)],
    ["quota_reserve calls / request", fmt(per("no policy", "reserve"), 3), fmt(per("policy", "reserve"), 3), ""],
    ["quota_settle calls / request", fmt(per("no policy", "settle"), 3), fmt(per("policy", "settle"), 3), ""],
    ["DB transactions / request (all)", fmt(per("no policy", "xacts"), 3), fmt(per("policy", "xacts"), 3), signed(per("policy", "xacts") - per("no policy", "xacts"), 3)],
  ];
  const header = ["", "no policy", "policy", "added"];
  process.stdout.write(`\n${textTable(header, rows)}\n\ncapacity with a policy at ${plan.capacity.concurrency} connections: ${cap.rps.toFixed(0)} req/s\n`);
  const dir = join(ROOT, "bench/results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "quota.json"), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(
    join(dir, "quota.md"),
    `# bench:quota\n\n${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}, next ${machine.next}; ${machine.pinning}.\n` +
      `Commit ${machine.commit ?? "unknown"}.${quick ? " Quick run (indicative only)." : ""}\n\n${markdownTable(header, rows)}\n\n` +
      `Capacity with a policy (closed loop, ${plan.capacity.concurrency} connections): ${cap.rps.toFixed(0)} req/s.\n` +
      `Reserve calls and transactions are counted by Postgres (pg_stat_user_functions, pg_stat_database) over each arm's own requests; ` +
      `the usage writer's batches (one transaction each, settlement included) are spread over the requests they carry.\n`,
  );
  log("wrote bench/results/quota.json and quota.md");
}

main()
  .catch((err: unknown) => {
    log(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  })
  .finally(() => cleanup());
