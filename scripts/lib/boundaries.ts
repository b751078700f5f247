// The architecture's boundaries, checked by a machine (`npm run boundaries`, and
// tests/unit/architecture.test.ts inside `npm test`):
//   1. a domain (lib/<domain>/) is entered only through its public faces:
//      index.ts (server), schemas.ts and types.ts (client-safe). app/ and
//      components/ obey the same rule;
//   2. no cycles between lib/ domains (an edge is any import, type-only included);
//   3. lib/core imports nothing from the rest of lib/;
//   4. client code ("use client" files, and what they load) never reaches a
//      module that imports "server-only" (server actions are references, and
//      type-only imports are erased).
// The module graph comes from dependency-cruiser, which resolves the tsconfig's
// "@/" alias the way the bundler does.
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { cruise, type ICruiseResult, type IModule } from "dependency-cruiser";

export type Violation = { rule: "deep-import" | "domain-cycle" | "core-depends" | "client-server-only"; from: string; to: string; detail?: string };

const PUBLIC_FACE = /^lib\/[^/]+\/(index|schemas|types)\.tsx?$/;
const domainOf = (path: string): string | null => /^lib\/([^/]+)\//.exec(path)?.[1] ?? null;

export async function moduleGraph(root: string, dirs = ["app", "components", "lib"]): Promise<IModule[]> {
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const result = await cruise(dirs.filter((d) => existsSync(d)), {
      tsConfig: { fileName: "tsconfig.json" },
      tsPreCompilationDeps: true,
      doNotFollow: { path: "node_modules" },
      exclude: { path: ["lib/db/generated", "\\.d\\.ts$"] },
      moduleSystems: ["es6", "cjs"],
    });
    return (result.output as ICruiseResult).modules;
  } finally {
    process.chdir(cwd);
  }
}

export function checkBoundaries(root: string, modules: IModule[]): Violation[] {
  const out: Violation[] = [];
  // Our own sources: what resolved to a file under app/, components/ or lib/ (not packages, not unresolved names).
  const local = modules.filter((m) => !m.coreModule && !m.couldNotResolve && /^(app|components|lib)\//.test(m.source));
  const byPath = new Map(local.map((m) => [m.source, m]));
  const edges = (m: IModule) => m.dependencies.filter((d) => byPath.has(d.resolved)).map((d) => d.resolved);
  // What a bundle really loads: type-only imports are erased.
  const runtimeEdges = (m: IModule) =>
    m.dependencies.filter((d) => byPath.has(d.resolved) && !d.dependencyTypes.includes("type-only")).map((d) => d.resolved);

  // 1 and 3
  for (const m of local) {
    const from = domainOf(m.source);
    for (const to of edges(m)) {
      const target = domainOf(to);
      if (!target || target === from) continue;
      if (!PUBLIC_FACE.test(to)) out.push({ rule: "deep-import", from: m.source, to });
      if (from === "core") out.push({ rule: "core-depends", from: m.source, to });
    }
  }

  // 2: cycles in the graph of domains.
  const graph = new Map<string, Map<string, string>>();
  for (const m of local) {
    const from = domainOf(m.source);
    if (!from) continue;
    for (const to of edges(m)) {
      const target = domainOf(to);
      if (!target || target === from) continue;
      const g = graph.get(from) ?? new Map<string, string>();
      if (!g.has(target)) g.set(target, `${m.source} → ${to}`);
      graph.set(from, g);
    }
  }
  for (const cycle of domainCycles(graph)) {
    const detail = cycle.map((d, i) => graph.get(d)!.get(cycle[(i + 1) % cycle.length]!)!).join("; ");
    out.push({ rule: "domain-cycle", from: cycle.join(" → "), to: cycle[0]!, detail });
  }

  // 4: everything a client file loads. A "use server" module is where it stops:
  // the client gets a reference to call, not the module.
  const serverOnly = new Set(local.filter((m) => /^import\s+["']server-only["']/m.test(read(root, m.source))).map((m) => m.source));
  for (const m of local) {
    if (!/\.tsx?$/.test(m.source) || !/^\s*["']use client["']/.test(read(root, m.source))) continue;
    const seen = new Set<string>([m.source]);
    const path = new Map<string, string>();
    const queue = [m.source];
    while (queue.length) {
      const cur = queue.shift()!;
      for (const next of runtimeEdges(byPath.get(cur)!)) {
        if (seen.has(next) || /^\s*["']use server["']/.test(read(root, next))) continue;
        seen.add(next);
        path.set(next, cur);
        if (serverOnly.has(next)) {
          const chain = [next];
          for (let p = path.get(next); p; p = path.get(p)) chain.unshift(p);
          out.push({ rule: "client-server-only", from: m.source, to: next, detail: chain.join(" → ") });
        } else queue.push(next);
      }
    }
  }
  return out;
}

const cache = new Map<string, string>();
function read(root: string, file: string): string {
  const path = join(root, file);
  let s = cache.get(path);
  if (s === undefined) cache.set(path, (s = readFileSync(path, "utf8")));
  return s;
}

/** Elementary cycles of a small graph, each once, starting at its smallest node. */
function domainCycles(graph: Map<string, Map<string, string>>): string[][] {
  const cycles: string[][] = [];
  const nodes = [...graph.keys()].sort();
  for (const start of nodes) {
    const stack: string[] = [start];
    const walk = (node: string) => {
      for (const next of graph.get(node)?.keys() ?? []) {
        if (next === start) cycles.push([...stack]);
        else if (next > start && !stack.includes(next)) {
          stack.push(next);
          walk(next);
          stack.pop();
        }
      }
    };
    walk(start);
  }
  return cycles;
}

export function describe(v: Violation): string {
  return `${v.rule}: ${v.from} → ${v.to}${v.detail ? ` (${v.detail})` : ""}`;
}

// `npm run boundaries [dir]`: prints every violation and a count per rule; exits 1 on any.
if (process.argv[1] && relative(process.cwd(), process.argv[1]).replace(/\\/g, "/") === "scripts/lib/boundaries.ts") {
  const root = process.argv[2] ?? process.cwd();
  const violations = checkBoundaries(root, await moduleGraph(root));
  for (const v of violations) process.stdout.write(`${describe(v)}\n`);
  const counts: Record<string, number> = {};
  for (const v of violations) counts[v.rule] = (counts[v.rule] ?? 0) + 1;
  process.stdout.write(`${violations.length} violation(s) ${JSON.stringify(counts)}\n`);
  process.exit(violations.length ? 1 : 0);
}
