// Whether the production build in .next matches the sources. `npm start` and the
// test harnesses rebuild when it does not, so a pulled change is never served
// from a stale build. The fingerprint is cheap: paths, sizes and mtimes.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLIENT_DIR, prismaClientIsCurrent, SCHEMA_DIR } from "./schema-digest.mjs";

const SOURCES = ["app", "components", "lib", "public", "proxy.ts", "instrumentation.ts", "next.config.mjs", "scripts/lib/security-headers.mjs", "postcss.config.mjs", "package.json", "prisma/schema", "tsconfig.json"];
const distDir = () => process.env.PROMPTGATE_DIST_DIR || ".next";
const stampFile = () => join(distDir(), "promptgate-build-stamp");

function walk(path: string, out: string[]) {
  if (!existsSync(path)) return;
  const st = statSync(path);
  if (st.isDirectory()) {
    for (const e of readdirSync(path)) if (e !== "node_modules" && e !== "generated") walk(join(path, e), out);
  } else out.push(`${path}:${st.size}:${st.mtimeMs}`);
}

export function sourceFingerprint(): string {
  const entries: string[] = [];
  for (const s of SOURCES) walk(s, entries);
  return createHash("sha256").update(entries.sort().join("\n")).digest("hex");
}

export function buildIsCurrent(): boolean {
  return existsSync(join(distDir(), "BUILD_ID")) && existsSync(stampFile()) && readFileSync(stampFile(), "utf8") === sourceFingerprint();
}

type EnsureClient = { schemaDir?: string; clientDir?: string; generate?: () => void; log?: (s: string) => void };

/**
 * Regenerates lib/db/generated when it was generated from other schema contents (a pulled or
 * merged schema change without `npm install`). Returns whether it generated.
 */
export function ensurePrismaClient({ schemaDir = SCHEMA_DIR, clientDir = CLIENT_DIR, generate, log = (s) => process.stderr.write(`${s}\n`) }: EnsureClient = {}): boolean {
  if (prismaClientIsCurrent(schemaDir, clientDir)) return false;
  log("generating the Prisma client: prisma/schema changed since it was generated");
  (generate ?? runPrismaGenerate)();
  if (!prismaClientIsCurrent(schemaDir, clientDir)) throw new Error("the Prisma client in lib/db/generated is still older than prisma/schema after `prisma generate`");
  return true;
}

function runPrismaGenerate(): void {
  const r = spawnSync(process.execPath, ["scripts/prisma-generate.mjs"], { stdio: "inherit" });
  if (r.status !== 0) throw new Error(`prisma generate failed (exit code ${r.status})`);
}

/** Runs `next build` unless the current build matches the sources. Returns the seconds spent (0 when skipped). */
export function buildIfStale(log: (s: string) => void = (s) => process.stderr.write(`${s}\n`)): number {
  // A regenerated client changes what the build bakes in, though "generated" is outside the
  // fingerprint (its mtimes change at every install): build again whenever it was regenerated.
  const regenerated = ensurePrismaClient({ log });
  if (!regenerated && buildIsCurrent()) return 0;
  const fingerprint = sourceFingerprint();
  log("building the app (`next build`): the sources changed since the last build, or there is none");
  const t = performance.now();
  const r = spawnSync(process.execPath, ["node_modules/next/dist/bin/next", "build"], { stdio: "inherit", env: { ...process.env, NODE_ENV: "production" } });
  if (r.status !== 0) throw new Error(`next build failed (exit code ${r.status})`);
  writeFileSync(stampFile(), fingerprint);
  return (performance.now() - t) / 1000;
}
