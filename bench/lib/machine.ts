// The machine the numbers came from, CPU pinning with taskset, and the few
// /proc readings the benchmark needs (RSS, per-core and per-process CPU time).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";

export type MachineInfo = {
  cpuModel: string;
  cores: number;
  hypervisor: string | null;
  memoryGiB: number;
  os: string;
  node: string;
  next: string;
  undici: string;
  commit: string | null;
  pinning: string;
};

const TASKSET = ["/usr/bin/taskset", "/bin/taskset", "/usr/sbin/taskset"].find((p) => existsSync(p)) ?? null;
// The machine's cores, not this process's: availableParallelism() shrinks to 1 once we pin ourselves.
const CORES = os.cpus().length;

/** taskset is only useful with at least two cores: one for the gateway, one for everything else. */
export function canPin(): boolean {
  return TASKSET !== null && CORES >= 2 && process.platform === "linux";
}

/** The command and arguments to run `argv` on one core (or unpinned when pinning is not possible). */
export function pinned(core: number, argv: [string, ...string[]]): [string, string[]] {
  if (!canPin()) return [argv[0], argv.slice(1)];
  return [TASKSET!, ["-c", String(core), ...argv]];
}

/**
 * The command and arguments to run `argv` on every core. A child inherits its
 * parent's affinity, and the benchmark pins itself to the load core.
 */
export function unpinned(argv: [string, ...string[]]): [string, string[]] {
  if (!canPin()) return [argv[0], argv.slice(1)];
  return [TASKSET!, ["-c", `0-${CORES - 1}`, ...argv]];
}

/** Moves a running process (every thread of it) to one core. */
export function pinPid(pid: number, core: number): boolean {
  if (!canPin()) return false;
  const r = spawnSync(TASKSET!, ["-a", "-c", "-p", String(core), String(pid)], { stdio: "ignore" });
  return r.status === 0;
}

/** Pins a process and all its current descendants; later children inherit the affinity. */
export function pinTree(pid: number, core: number): number {
  let count = 0;
  for (const p of [pid, ...descendants(pid)]) if (pinPid(p, core)) count++;
  return count;
}

function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = statFields(Number(entry))?.[1];
    if (ppid === undefined) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** Fields of /proc/<pid>/stat after the command name: [state, ppid, ...]; numbers where numeric. */
function statFields(pid: number): number[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may contain spaces and parentheses; it ends at the last ')'.
    return text
      .slice(text.lastIndexOf(")") + 2)
      .trim()
      .split(" ")
      .map((f) => Number(f));
  } catch {
    return undefined;
  }
}

/** Resident set size of a process in bytes (VmRSS), or NaN when it cannot be read. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU seconds a process has used so far. */
export function processCpuSeconds(pid: number): number {
  const f = statFields(pid);
  // After the name: state(0) ppid(1) pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(11) stime(12)
  if (!f) return Number.NaN;
  return ((f[11] ?? 0) + (f[12] ?? 0)) / TICKS_PER_SECOND;
}

export type CoreTimes = { busy: number; total: number }[];

/** Per-core busy and total jiffies from /proc/stat. */
export function coreTimes(): CoreTimes {
  const out: CoreTimes = [];
  try {
    for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
      const m = /^cpu(\d+)\s+(.*)$/.exec(line);
      if (!m) continue;
      const v = m[2]!.trim().split(/\s+/).map(Number);
      const idle = (v[3] ?? 0) + (v[4] ?? 0);
      const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
      out[Number(m[1])] = { busy: total - idle, total };
    }
  } catch {}
  return out;
}

/** Utilisation (0..1) of each core between two readings. */
export function coreUtilisation(before: CoreTimes, after: CoreTimes): number[] {
  return after.map((a, i) => {
    const b = before[i];
    if (!b || a.total === b.total) return 0;
    return (a.busy - b.busy) / (a.total - b.total);
  });
}

/** CPU seconds of a process and all its descendants (Postgres: postmaster and backends). */
export function treeCpuSeconds(pid: number): number {
  let sum = 0;
  for (const p of [pid, ...descendants(pid)]) {
    const s = processCpuSeconds(p);
    if (Number.isFinite(s)) sum += s;
  }
  return sum;
}

export type CpuSnapshot = { at: number; cores: CoreTimes; ours: number };

/** Where the machine's CPU went between two snapshots, in cores (1 = one core fully busy). */
export type CpuUse = { coreUtil: number[]; ours: number; foreign: number };

/** `ours`: the processes of the benchmark; everything else on the machine counts as foreign. */
export function cpuSnapshot(ours: number[]): CpuSnapshot {
  return { at: performance.now(), cores: coreTimes(), ours: ours.reduce((sum, pid) => sum + treeCpuSeconds(pid), 0) };
}

export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): CpuUse {
  const wall = (b.at - a.at) / 1000;
  const coreUtil = coreUtilisation(a.cores, b.cores);
  const busy = coreUtil.reduce((x, y) => x + y, 0);
  const ours = wall > 0 ? (b.ours - a.ours) / wall : 0;
  return { coreUtil, ours, foreign: Math.max(0, busy - ours) };
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(`node_modules/${name}/package.json`, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

function gitCommit(): string | null {
  try {
    const sha = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return null;
  }
}

export function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model?.trim() || "unknown";
  let hypervisor: string | null = null;
  try {
    const out = execFileSync("lscpu", { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    cpuModel = /^Model name:\s+(.+)$/m.exec(out)?.[1]?.trim() ?? cpuModel;
    hypervisor = /^Hypervisor vendor:\s+(.+)$/m.exec(out)?.[1]?.trim() ?? null;
  } catch {}
  return {
    cpuModel,
    cores: CORES,
    hypervisor,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    next: packageVersion("next"),
    undici: packageVersion("undici"),
    commit: gitCommit(),
    pinning: canPin()
      ? "gateway (next start) on core 0; load generator, fake upstream and embedded Postgres on core 1 (taskset)"
      : "none (taskset missing or fewer than 2 cores): every process shares every core",
  };
}
