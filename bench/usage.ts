// `npm run bench:usage`: how fast the Usage page's queries answer at scale.
//
// Seeds N usage events (default 1M) over 90 days with realistic distributions
// (daily and weekly cycles, growth, Zipf-distributed keys and models, prompt
// versions and experiment variants, errors, lognormal tokens and latencies)
// through the production usage writer (`writeBatch`: the same INSERT and the
// same rollup hook, in batches of 5,000 from two concurrent writers). Then it
// times each of the page's queries, cold (Postgres restarted, so its buffer
// cache is empty; the OS page cache is not dropped) and warm (repeated runs),
// prints a table and writes bench/results/usage.md.
//
//   npm run bench:usage                      1M events
//   npm run bench:usage -- --events=10M      10M events (≈ 5 GB of disk)
//   npm run bench:usage -- --runs=30 --cold=5 --fresh
//
// The seeded database (promptgate_bench_usage_<N>) is kept on the embedded
// server in .data/bench-usage-postgres and reused by the next run with the same
// N unless --fresh; --drop removes it at the end.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "@/lib/db/embedded";
import { applyMigrations } from "@/lib/db/migrate";
import { dropDatabase, freePort, withClient, withDatabase } from "../tests/support/postgres.ts";
import { ROOT } from "./lib/servers.ts";
import { percentile } from "./lib/stats.ts";
import { fmt, markdownTable, textTable } from "./lib/table.ts";
import { seededRandom as rng } from "../tests/support/random";

const { values: argv } = parseArgs({
  options: {
    events: { type: "string" }, days: { type: "string" }, runs: { type: "string" }, cold: { type: "string" },
    fresh: { type: "boolean" }, drop: { type: "boolean" }, help: { type: "boolean", short: "h" },
  },
});
if (argv.help) {
  process.stdout.write("Usage: npm run bench:usage [-- --events=1M|10M|<n>] [--days=90] [--runs=20] [--cold=3] [--fresh] [--drop]\n");
  process.exit(0);
}
const parseCount = (s: string) => {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(s.trim());
  if (!m) throw new Error(`--events: expected a count such as 1M, 250k or 500000, got ${s}`);
  return Math.round(Number(m[1]) * (m[2]?.toLowerCase() === "m" ? 1e6 : m[2]?.toLowerCase() === "k" ? 1e3 : 1));
};
const N = parseCount(argv.events ?? process.env.BENCH_USAGE_EVENTS ?? "1M");
const DAYS = Number(argv.days ?? 90);
const WARM_RUNS = Number(argv.runs ?? 20);
const COLD_RUNS = Number(argv.cold ?? 3);
const BATCH = 5000;
const WRITERS = 2;
const TARGET_MS = 150;
const DATA_DIR = join(ROOT, ".data/bench-usage-postgres");
const DB_NAME = `promptgate_bench_usage_${N}`;

const log = (line: string) => process.stderr.write(`[bench:usage] ${line}\n`);
const secs = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

// ------------------------------------------------------------ random data

const rand = rng(20261121);
const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const lognormal = (median: number, sigma: number) => median * Math.exp(sigma * normal());
function weighted<T>(items: readonly T[], weights: readonly number[]): () => T {
  const cum: number[] = [];
  let s = 0;
  for (const w of weights) cum.push((s += w));
  return () => {
    const x = rand() * s;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return items[lo]!;
  };
}
const zipf = (n: number, s = 1) => Array.from({ length: n }, (_, i) => 1 / (i + 1) ** s);
const uuid = () => {
  const b = Buffer.from(Array.from({ length: 16 }, () => Math.floor(rand() * 256)));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

type ModelSpec = { name: string; provider: "openai" | "anthropic"; weight: number; input: number; output: number; msPerToken: number };
const MODELS: ModelSpec[] = [
  { name: "gpt-4o-mini", provider: "openai", weight: 30, input: 900, output: 220, msPerToken: 9 },
  { name: "gpt-4.1-mini", provider: "openai", weight: 14, input: 1200, output: 260, msPerToken: 10 },
  { name: "claude-sonnet-4-20250514", provider: "anthropic", weight: 12, input: 2200, output: 420, msPerToken: 18 },
  { name: "gpt-4o", provider: "openai", weight: 10, input: 1500, output: 350, msPerToken: 16 },
  { name: "claude-3-5-haiku-20241022", provider: "anthropic", weight: 9, input: 800, output: 200, msPerToken: 8 },
  { name: "gpt-5-mini", provider: "openai", weight: 8, input: 1100, output: 500, msPerToken: 12 },
  { name: "gpt-5", provider: "openai", weight: 5, input: 2500, output: 900, msPerToken: 22 },
  { name: "o4-mini", provider: "openai", weight: 5, input: 1400, output: 1200, msPerToken: 14 },
  { name: "gpt-4.1-nano", provider: "openai", weight: 5, input: 600, output: 120, msPerToken: 5 },
  { name: "claude-opus-4-1", provider: "anthropic", weight: 2, input: 3000, output: 600, msPerToken: 35 },
];

type World = {
  accounts: { id: string; name: string; provider: string }[];
  keys: { id: string; name: string; prefix: string }[];
  prompts: { id: string; name: string }[];
  versions: { id: string; promptId: string; version: number }[];
  experiments: Map<string, string[]>; // prompt version id → variant ids
};

function makeWorld(): World {
  const accounts = [
    { id: uuid(), name: "openai-primary", provider: "openai" },
    { id: uuid(), name: "openai-fallback", provider: "openai" },
    { id: uuid(), name: "anthropic-primary", provider: "anthropic" },
    { id: uuid(), name: "anthropic-fallback", provider: "anthropic" },
  ];
  const teams = ["search", "support", "billing", "growth", "docs", "mobile", "ml", "sales", "ops", "infra"];
  const keys = Array.from({ length: 60 }, (_, i) => ({ id: uuid(), name: `${teams[i % teams.length]}-${["prod", "staging", "batch", "ci", "dev", "eval"][Math.floor(i / 10)]}`, prefix: `pgk_b${String(i).padStart(5, "0")}` }));
  const prompts = Array.from({ length: 25 }, (_, i) => ({ id: uuid(), name: `${teams[i % teams.length]}-${["summarise", "classify", "answer"][i % 3]}-${i}` }));
  const versions = prompts.flatMap((p, i) => Array.from({ length: 1 + (i % 6) }, (_, v) => ({ id: uuid(), promptId: p.id, version: v + 1 })));
  const experiments = new Map<string, string[]>();
  for (const v of versions.filter((_, i) => i % 13 === 0).slice(0, 6)) experiments.set(v.id, Array.from({ length: 2 + (experiments.size % 2) }, () => uuid()));
  return { accounts, keys, prompts, versions, experiments };
}

type KeyProfile = { key: string; model: () => ModelSpec; version: () => string | null; promptShare: number };

function keyProfiles(w: World): { pick: () => KeyProfile } {
  const profiles = w.keys.map((k, i) => {
    const models = [...MODELS].sort(() => rand() - 0.5).slice(0, 1 + (i % 3));
    const vs = i % 5 === 0 ? [] : [...w.versions].sort(() => rand() - 0.5).slice(0, 1 + (i % 5));
    return {
      key: k.id,
      model: weighted(models, models.map((m, j) => m.weight / (j + 1))),
      version: vs.length ? weighted(vs.map((v) => v.id), zipf(vs.length)) : () => null,
      promptShare: vs.length ? 0.3 + rand() * 0.5 : 0,
    };
  });
  return { pick: weighted(profiles, zipf(profiles.length, 1.1)) };
}

const statusOf = weighted(["ok", "upstream_error", "client_aborted", "rejected", "error"] as const, [96.5, 1.5, 1.0, 0.7, 0.3]);

type EventInput = Parameters<typeof import("@/lib/usage/writer").writeBatch>[0][number];

function* generate(w: World, endMs: number): Generator<EventInput[]> {
  const profiles = keyProfiles(w);
  const byProvider = (p: string) => w.accounts.filter((a) => a.provider === p);
  const accountFor = {
    openai: weighted(byProvider("openai"), [0.8, 0.2]),
    anthropic: weighted(byProvider("anthropic"), [0.9, 0.1]),
  };
  const hours = DAYS * 24;
  const startHour = Math.floor(endMs / 3_600_000) - hours;
  // Daily cycle peaking mid-afternoon UTC, quieter weekends, 50% growth over the period.
  const weights = Array.from({ length: hours }, (_, i) => {
    const t = new Date((startHour + i) * 3_600_000);
    const daily = 1 + 0.6 * Math.sin((2 * Math.PI * (t.getUTCHours() - 9)) / 24);
    const weekly = t.getUTCDay() === 0 || t.getUTCDay() === 6 ? 0.55 : 1;
    return daily * weekly * (1 + (0.5 * i) / hours);
  });
  const total = weights.reduce((a, b) => a + b, 0);
  let made = 0;
  let carry = 0;
  let batch: EventInput[] = [];
  for (let i = 0; i < hours; i++) {
    const exact = (N * weights[i]!) / total + carry;
    const count = i === hours - 1 ? N - made : Math.floor(exact);
    carry = exact - count;
    const hourStart = (startHour + i) * 3_600_000;
    const times = Array.from({ length: count }, () => hourStart + Math.floor(rand() * 3_600_000)).sort((a, b) => a - b);
    for (const at of times) {
      const p = profiles.pick();
      const m = p.model();
      const status = statusOf();
      const version = rand() < p.promptShare ? p.version() : null;
      const variants = version ? w.experiments.get(version) : undefined;
      const account = status === "rejected" ? null : accountFor[m.provider]();
      const input = status === "rejected" ? 0 : Math.max(1, Math.round(lognormal(m.input, 0.9)));
      const output = status === "ok" ? Math.max(1, Math.min(16_000, Math.round(lognormal(m.output, 0.8)))) : status === "client_aborted" ? Math.round(lognormal(m.output / 3, 0.8)) : 0;
      const stream = rand() < 0.65;
      const ttft = stream && status !== "rejected" ? Math.round(lognormal(380, 0.5)) : null;
      const latency = status === "rejected" ? Math.round(lognormal(3, 0.4)) : Math.round((ttft ?? lognormal(450, 0.45)) + output * m.msPerToken * Math.exp(0.25 * normal()));
      // A few events arrive late, in a later batch than their hour's.
      const createdAt = rand() < 0.01 ? Math.max(hourStart - 3_600_000, at - Math.floor(rand() * 900_000)) : at;
      batch.push({
        completionId: `bench-${made}`, createdAt: new Date(Math.min(createdAt, endMs - 1)), apiKeyId: p.key, endUser: rand() < 0.3 ? `user-${Math.floor(rand() * 5000)}` : null,
        accountId: account?.id ?? null, provider: account?.provider ?? null, requestedModel: m.name, servedModel: account ? m.name : null,
        promptVersionId: version, experimentId: null, variantId: variants ? variants[Math.floor(rand() * variants.length)]! : null,
        inputTokens: input, outputTokens: output, cachedTokens: rand() < 0.25 ? Math.floor(input * (0.3 + rand() * 0.6)) : 0,
        latencyMs: latency, ttftMs: ttft, status, errorCode: status === "ok" ? null : status, stream, attempts: status === "upstream_error" ? 2 : 1,
      });
      made++;
      if (batch.length >= BATCH) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length) yield batch;
}

// ------------------------------------------------------------------ database

type Server = { pg: EmbeddedPostgres; port: number };

async function startServer(port?: number): Promise<Server> {
  const p = port ?? (await freePort([54329]));
  const pg = await startEmbeddedPostgres({ dataDir: DATA_DIR, port: p, log: (l) => log(l) });
  return { pg, port: p };
}

async function seedEntities(url: string, w: World): Promise<void> {
  await withClient(url, async (c) => {
    for (const a of w.accounts) {
      await c.query(`INSERT INTO "ProviderAccount" (id, name, provider, "updatedAt") VALUES ($1, $2, $3::"ProviderKind", now())`, [a.id, a.name, a.provider]);
    }
    for (const k of w.keys) {
      await c.query(`INSERT INTO "ApiKey" (id, name, prefix, hash, scopes) VALUES ($1, $2, $3, $4, '{completions}')`, [k.id, k.name, k.prefix, randomBytes(32).toString("hex")]);
    }
    for (const p of w.prompts) await c.query(`INSERT INTO "Prompt" (id, name, "updatedAt") VALUES ($1, $2, now())`, [p.id, p.name]);
    for (const v of w.versions) {
      await c.query(`INSERT INTO "PromptVersion" (id, "promptId", version, type, messages, "commitMessage") VALUES ($1, $2, $3, 'chat', '[]', 'bench')`, [v.id, v.promptId, v.version]);
    }
  });
}

type Seeded = { endMs: number; seedSeconds: number; eventsPerSecond: number };

async function ensureSeeded(server: Server): Promise<{ url: string; seeded: Seeded }> {
  const url = withDatabase(server.pg.adminUrl, DB_NAME);
  const exists = await withClient(server.pg.adminUrl, async (c) => (await c.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [DB_NAME])).rowCount === 1);
  if (exists && !argv.fresh) {
    const marker = await withClient(url, async (c) => {
      const t = await c.query(`SELECT to_regclass('"_bench_seed"') AS t`);
      if (!t.rows[0]?.t) return null;
      return (await c.query<{ info: Seeded }>(`SELECT info FROM "_bench_seed"`)).rows[0]?.info ?? null;
    });
    if (marker) {
      log(`reusing ${DB_NAME} (seeded earlier; pass --fresh to reseed)`);
      return { url, seeded: marker };
    }
  }
  if (exists) await dropDatabase(server.pg.adminUrl, DB_NAME);
  await withClient(server.pg.adminUrl, (c) => c.query(`CREATE DATABASE "${DB_NAME}"`));
  await applyMigrations({ connectionString: url, migrationsDir: join(ROOT, "prisma/migrations") });
  const world = makeWorld();
  await seedEntities(url, world);

  process.env.DATABASE_URL = url;
  const { writeBatch } = await import("@/lib/usage/writer");
  const endMs = Date.now();
  const started = performance.now();
  let written = 0;
  let lastLog = performance.now();
  const batches = generate(world, endMs);
  const writer = async () => {
    for (;;) {
      const next = batches.next();
      if (next.done) return;
      await writeBatch(next.value);
      written += next.value.length;
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        log(`${written.toLocaleString("en")} / ${N.toLocaleString("en")} events (${Math.round(written / ((performance.now() - started) / 1000)).toLocaleString("en")}/s)`);
      }
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
  const seedSeconds = (performance.now() - started) / 1000;
  log(`seeded ${written.toLocaleString("en")} events in ${seedSeconds.toFixed(1)} s; vacuuming and analysing`);
  const { closeDb } = await import("@/lib/db");
  await closeDb();
  await withClient(url, async (c) => {
    // What autovacuum does on a live system, done now so the timings see steady state.
    await c.query(`VACUUM (ANALYZE) "UsageEvent", "UsageRollupHour", "UsageRollupDay"`);
    const seeded: Seeded = { endMs, seedSeconds, eventsPerSecond: written / seedSeconds };
    await c.query(`CREATE TABLE "_bench_seed" (info jsonb NOT NULL)`);
    await c.query(`INSERT INTO "_bench_seed" VALUES ($1)`, [JSON.stringify(seeded)]);
  });
  return { url, seeded: { endMs, seedSeconds, eventsPerSecond: written / seedSeconds } };
}

// ------------------------------------------------------------------- timing

// Route helpers in lib/usage/index.ts pull in next-auth, which only loads inside Next: import the query modules.
async function loadUsage() {
  const [dashboard, range] = await Promise.all([import("@/lib/usage/dashboard"), import("@/lib/usage/range")]);
  return { ...dashboard, ...range };
}
type Usage = Awaited<ReturnType<typeof loadUsage>>;
type Case = { name: string; run: (u: Usage) => Promise<unknown> };

function cases(endMs: number, topKey: string): Case[] {
  const view = (over: Partial<import("@/lib/usage/schemas").UsageView> = {}) => ({ range: "30d" as const, by: "model" as const, filters: {}, ...over });
  return [
    { name: "30d tokens by model (chart, day buckets)", run: (u) => u.seriesByDimension(u.resolveWindow(view(), endMs), { workspaceId: null }, "model") },
    { name: "30d latency p50/p95 (histograms)", run: (u) => u.latencyByBucket(u.resolveWindow(view(), endMs), { workspaceId: null }) },
    { name: "30d top-N (models, keys, prompts, accounts)", run: (u) => u.topByDimension(u.resolveWindow(view(), endMs), { workspaceId: null }) },
    { name: "30d previous-period KPIs", run: (u) => u.windowTotals(u.previousWindow(u.resolveWindow(view(), endMs)), { workspaceId: null }, false) },
    { name: "30d whole page (4 queries in parallel + labels)", run: (u) => u.usageDashboard("00000000-0000-0000-0000-000000000001", view(), endMs) },
    { name: "30d whole page, by key, filtered to one key", run: (u) => u.usageDashboard("00000000-0000-0000-0000-000000000001", view({ by: "key", filters: { key: topKey } }), endMs) },
    { name: "30d whole page, by prompt", run: (u) => u.usageDashboard("00000000-0000-0000-0000-000000000001", view({ by: "prompt" }), endMs) },
    { name: "90d whole page (day buckets)", run: (u) => u.usageDashboard("00000000-0000-0000-0000-000000000001", view({ range: "90d" }), endMs) },
    { name: "7d whole page (hour buckets)", run: (u) => u.usageDashboard("00000000-0000-0000-0000-000000000001", view({ range: "7d" }), endMs) },
    { name: "24h whole page (hour buckets)", run: (u) => u.usageDashboard("00000000-0000-0000-0000-000000000001", view({ range: "24h" }), endMs) },
    { name: "24h whole page (minute buckets, raw events)", run: (u) => u.usageDashboard("00000000-0000-0000-0000-000000000001", view({ range: "24h", bucket: "minute" }), endMs) },
    { name: "1h whole page (minute buckets, raw events)", run: (u) => u.usageDashboard("00000000-0000-0000-0000-000000000001", view({ range: "1h" }), endMs) },
    { name: "filter options (models seen in 90 d, keys, prompts)", run: (u) => u.usageFilterOptions("00000000-0000-0000-0000-000000000001", endMs) },
    {
      name: "Overview usage queries (24 h page + per-account errors)",
      run: (u) => Promise.all([u.usageDashboard("00000000-0000-0000-0000-000000000001", view({ range: "24h" }), endMs), u.accountTotals({ from: new Date(endMs - 86_400_000), to: new Date(endMs), bucket: "hour" })]),
    },
  ];
}

type Timing = { name: string; cold: number[]; warm: number[] };

async function timeOnce(u: Usage, c: Case): Promise<number> {
  const t = performance.now();
  await c.run(u);
  return performance.now() - t;
}

async function main() {
  log(`${N.toLocaleString("en")} events over ${DAYS} days; ${WARM_RUNS} warm runs, ${COLD_RUNS} cold runs per query`);
  mkdirSync(DATA_DIR, { recursive: true });
  process.env.AUTH_SECRET ??= randomBytes(32).toString("base64url");
  process.env.ENCRYPTION_KEY ??= randomBytes(32).toString("hex");
  process.env.LOG_LEVEL ??= "warn";
  let server = await startServer();
  const stop = async () => {
    const { closeDb } = await import("@/lib/db");
    await closeDb().catch(() => {});
    await server.pg.stop();
  };
  process.once("SIGINT", () => void stop().finally(() => process.exit(130)));
  try {
    const t0 = performance.now();
    const { url, seeded } = await ensureSeeded(server);
    log(`database ready in ${secs(t0)}`);
    process.env.DATABASE_URL = url;
    const u = await loadUsage();
    const { closeDb } = await import("@/lib/db");

    const facts = await withClient(url, async (c) => {
      const count = async (t: string) => Number((await c.query(`SELECT count(*) AS n FROM "${t}"`)).rows[0].n);
      const size = async (t: string) => (await c.query(`SELECT pg_size_pretty(pg_total_relation_size('"${t}"')) AS s`)).rows[0].s as string;
      const setting = async (s: string) => (await c.query(`SHOW ${s}`)).rows[0][s] as string;
      const topKey = (await c.query(`SELECT "apiKeyId"::text AS k FROM "UsageRollupDay" GROUP BY 1 ORDER BY sum(requests) DESC LIMIT 1`)).rows[0].k as string;
      return {
        events: await count("UsageEvent"), hourRows: await count("UsageRollupHour"), dayRows: await count("UsageRollupDay"),
        eventSize: await size("UsageEvent"), hourSize: await size("UsageRollupHour"), daySize: await size("UsageRollupDay"),
        version: (await c.query(`SHOW server_version`)).rows[0].server_version as string,
        sharedBuffers: await setting("shared_buffers"), workMem: await setting("work_mem"), parallel: await setting("max_parallel_workers_per_gather"),
        topKey,
      };
    });
    log(`UsageEvent ${facts.events.toLocaleString("en")} rows (${facts.eventSize}); hourly rollup ${facts.hourRows.toLocaleString("en")} rows (${facts.hourSize}); daily ${facts.dayRows.toLocaleString("en")} rows (${facts.daySize})`);

    const loadBefore = os.loadavg()[0]!;
    const list = cases(seeded.endMs, facts.topKey);
    const timings: Timing[] = list.map((c) => ({ name: c.name, cold: [], warm: [] }));
    // Cold: a restarted Postgres (empty buffer cache) and a new connection pool, first run of one query.
    for (let r = 0; r < COLD_RUNS; r++) {
      for (let i = 0; i < list.length; i++) {
        await closeDb();
        await server.pg.stop();
        server = await startServer(server.port);
        timings[i]!.cold.push(await timeOnce(u, list[i]!));
      }
      log(`cold round ${r + 1}/${COLD_RUNS} done`);
    }
    for (let i = 0; i < list.length; i++) {
      for (let r = 0; r < 2; r++) await timeOnce(u, list[i]!);
      for (let r = 0; r < WARM_RUNS; r++) timings[i]!.warm.push(await timeOnce(u, list[i]!));
    }

    const loadAfter = os.loadavg()[0]!;
    const sorted = (a: number[]) => [...a].sort((x, y) => x - y);
    const header = ["query", "cold p50 ms", "cold p95 ms", "warm p50 ms", "warm p95 ms"];
    const rows = timings.map((t) => [t.name, fmt(percentile(sorted(t.cold), 50), 1), fmt(percentile(sorted(t.cold), 95), 1), fmt(percentile(sorted(t.warm), 50), 1), fmt(percentile(sorted(t.warm), 95), 1)]);
    const target = timings[0]!;
    const targetWarm = percentile(sorted(target.warm), 50);
    const targetCold = percentile(sorted(target.cold), 50);
    const verdict = `30-day chart by model, p50: warm ${fmt(targetWarm, 1)} ms, cold ${fmt(targetCold, 1)} ms at ${N.toLocaleString("en")} events (target ≤ ${TARGET_MS} ms at 10M events: ${targetWarm <= TARGET_MS ? "met" : "NOT met"} warm${N < 10_000_000 ? "; this run has fewer events than the target's 10M" : ""})`;
    process.stdout.write(`\n${textTable(header, rows)}\n\n${verdict}\n`);

    const cpu = os.cpus()[0]?.model ?? "unknown CPU";
    const md = `# Usage analytics benchmark results

Generated by \`npm run bench:usage -- --events=${N}\` on ${new Date().toISOString()}.

- Data: ${facts.events.toLocaleString("en")} usage events over ${DAYS} days (daily and weekly cycles, growth, Zipf keys and models, prompt versions, experiment variants, 3.5% non-ok); UsageEvent ${facts.eventSize} with its indexes.
- Rollups: ${facts.hourRows.toLocaleString("en")} hourly rows (${facts.hourSize}), ${facts.dayRows.toLocaleString("en")} daily rows (${facts.daySize}): ${(facts.events / facts.hourRows).toFixed(1)} and ${(facts.events / facts.dayRows).toFixed(1)} events per row.
- Seeding: through the production usage writer (batched INSERT + rollup hook in one transaction, ${BATCH.toLocaleString("en")} events per batch, ${WRITERS} concurrent writers): ${seeded.seedSeconds.toFixed(0)} s, ${Math.round(seeded.eventsPerSecond).toLocaleString("en")} events/s, then VACUUM ANALYZE.
- Machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM; Postgres ${facts.version} (embedded, defaults: shared_buffers ${facts.sharedBuffers}, work_mem ${facts.workMem}, max_parallel_workers_per_gather ${facts.parallel}); Node ${process.version}. Load average (1 min) ${loadBefore.toFixed(1)} before the timings and ${loadAfter.toFixed(1)} after: other work on the machine inflates every figure.
- Cold: Postgres restarted before each sample (empty buffer cache; the OS page cache is not dropped) and a new pool; ${COLD_RUNS} samples per query. Warm: ${WARM_RUNS} runs after 2 warm-ups. Times are wall-clock in the app process, including the round trips and the JSON-ready shaping in lib/usage.

${markdownTable(header, rows)}

**${verdict}.**
`;
    mkdirSync(join(ROOT, "bench/results"), { recursive: true });
    writeFileSync(join(ROOT, "bench/results/usage.md"), md);
    log("wrote bench/results/usage.md");
    if (argv.drop) {
      await closeDb();
      await dropDatabase(server.pg.adminUrl, DB_NAME);
      log(`dropped ${DB_NAME}`);
    }
  } finally {
    await stop();
  }
}

await main();
