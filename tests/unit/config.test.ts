import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError, configSchema, parseConfig } from "@/lib/config";

const valid = {
  DATABASE_URL: "postgresql://u:p@localhost:5432/db",
  AUTH_SECRET: "x".repeat(32),
  ENCRYPTION_KEY: "ab".repeat(32),
};

describe("config", () => {
  it("accepts a complete environment and applies defaults", () => {
    const c = parseConfig(valid);
    expect(c.DATABASE_POOL_SIZE).toBe(10);
    expect(c.MAX_BODY_BYTES).toBe(1_048_576);
    expect(c.AUTH_TRUST_HOST).toBe(true);
  });

  it("lists every missing or invalid variable in one error", () => {
    let err: unknown;
    try {
      parseConfig({ DATABASE_URL: "mysql://nope", ENCRYPTION_KEY: "short", DATABASE_POOL_SIZE: "0" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues;
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^DATABASE_URL: must be a postgres/),
        "AUTH_SECRET: is required",
        expect.stringMatching(/^ENCRYPTION_KEY: must be 32 bytes/),
        expect.stringMatching(/^DATABASE_POOL_SIZE:/),
      ]),
    );
    expect((err as Error).message.split("\n")).toHaveLength(issues.length + 1);
  });

  it("parses booleans and numbers from strings", () => {
    const c = parseConfig({ ...valid, AUTH_TRUST_HOST: "false", MAX_BODY_BYTES: "2048" });
    expect(c.AUTH_TRUST_HOST).toBe(false);
    expect(c.MAX_BODY_BYTES).toBe(2048);
  });

  it("faults #14.5: bounds the wait for reserved quota capacity (default 1 s, 0 refuses at once)", () => {
    expect(parseConfig(valid).QUOTA_RESERVED_WAIT_MS).toBe(1000);
    expect(parseConfig({ ...valid, QUOTA_RESERVED_WAIT_MS: "0" }).QUOTA_RESERVED_WAIT_MS).toBe(0);
    expect(() => parseConfig({ ...valid, QUOTA_RESERVED_WAIT_MS: "60000" })).toThrow(/QUOTA_RESERVED_WAIT_MS/);
  });
});

// Security #13.8: settings read with a raw Number(...) turned "30s" into NaN
// (SHUTDOWN_DEADLINE_MS=30s cut every stream at SIGTERM). Every variable now
// goes through configSchema, so a bad value stops the start with its name.
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Variables the code reads that lib/config does not own, each with the reason. */
const NOT_APP_SETTINGS: Record<string, string> = {
  NEXT_RUNTIME: "set by Next itself (instrumentation.ts runs in each runtime)",
  NEXT_MANUAL_SIG_HANDLE: "set by scripts/server.ts for Next, which reads it itself",
  NEXT_OUTPUT: "build time (next.config.mjs): the container build's standalone output",
  PROMPTGATE_DIST_DIR: "build and test time (next.config.mjs, scripts/lib/build.ts): the build folder",
  PROMPTGATE_BENCH: "benchmarks only: turns on the bench routes",
  BENCH_UPSTREAM_URL: "benchmarks only: the bench proxy route's upstream",
  OTEL_EXPORTER_OTLP_ENDPOINT: "read by the OpenTelemetry SDK itself",
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "read by the OpenTelemetry SDK itself",
  OTEL_SERVICE_NAME: "read by the OpenTelemetry SDK convention",
  CHROMIUM_PATH: "tests only (scripts/test.ts, e2e)",
  PROVIDER_API_KEY: "an admin CLI argument's fallback, not a server setting",
  LC_MESSAGES: "set for the embedded Postgres child process",
  DEBIAN_FRONTEND: "set for apt in scripts/test.ts",
  PRISMA_SCHEMA_ENGINE_BINARY: "Prisma's own, set by scripts/prisma-generate.mjs",
  PRISMA_HIDE_UPDATE_MESSAGE: "Prisma's own, set by scripts/prisma-generate.mjs",
};

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const rel = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== "node_modules" && e.name !== "generated") sourceFiles(rel, out);
    } else if (/\.(ts|tsx|mjs)$/.test(e.name)) out.push(rel);
  }
  return out;
}

/** The `## Configuration` table of README.md: one variable per row. */
function readmeTable(): { name: string; default: string }[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("\n## Configuration"), readme.indexOf("\n## ", readme.indexOf("\n## Configuration") + 5));
  const rows = section.slice(section.indexOf("| Variable |")).split("\n\n")[0]!.split("\n").slice(2);
  return rows.map((row) => {
    const [name = "", def = ""] = row.split(/(?<!\\)\|/).slice(1, 3).map((c) => c.trim());
    expect(name, `one variable per row: ${row}`).toMatch(/^`[A-Z][A-Z0-9_]*`$/);
    return { name: name.slice(1, -1), default: def };
  });
}

describe("security #13.8 env", () => {
  it("security #13.8 env: SHUTDOWN_DEADLINE_MS=30s is refused with a message naming the variable", () => {
    expect(() => parseConfig({ ...valid, SHUTDOWN_DEADLINE_MS: "30s" })).toThrow(ConfigError);
    expect(() => parseConfig({ ...valid, SHUTDOWN_DEADLINE_MS: "30s" })).toThrow(/SHUTDOWN_DEADLINE_MS: /);
  });

  it("security #13.8 env: every setting the code reads as a number refuses a value like 30s, naming the variable", () => {
    const numeric = [
      "SHUTDOWN_DEADLINE_MS", "DRAIN_GRACE_MS", "USAGE_FLUSH_MS", "BCRYPT_COST", "PORT", "PROMPTGATE_PG_PORT",
      "GATEWAY_ATTEMPTS_PER_ACCOUNT", "GATEWAY_RETRY_BASE_MS", "GATEWAY_MAX_RETRY_AFTER_MS",
      "QUOTA_RESERVATION_TTL_MS", "QUOTA_SWEEP_MS", "QUOTA_DEFAULT_MAX_TOKENS", "QUOTA_POLICY_REFRESH_MS", "QUOTA_RESERVED_WAIT_MS",
      "ACCOUNT_REFRESH_MS", "ACCOUNT_SNAPSHOT_MS", "ACCOUNT_PROBE_TICK_MS", "ACCOUNT_CIRCUIT_FAILURES", "ACCOUNT_CIRCUIT_ERROR_RATE",
      "ACCOUNT_CIRCUIT_WINDOW_MS", "ACCOUNT_CIRCUIT_MIN_REQUESTS", "ACCOUNT_CIRCUIT_COOLDOWN_MS", "ACCOUNT_CIRCUIT_MAX_COOLDOWN_MS",
      "ACCOUNT_RATE_LIMIT_COOLDOWN_MS", "SLO_AVAILABILITY_TARGET", "SLO_LATENCY_P95_MS",
    ];
    const refused = (name: string): string[] => {
      try {
        parseConfig({ ...valid, [name]: "30s" });
        return [];
      } catch (e) {
        return (e as ConfigError).issues ?? [];
      }
    };
    const accepted = numeric.filter((name) => !refused(name).some((i) => i.startsWith(`${name}: `)));
    expect(accepted, "accepted 30s").toEqual([]);
    expect(() => parseConfig({ ...valid, ACCOUNT_STRATEGY: "fastest" })).toThrow(/ACCOUNT_STRATEGY: /);
    expect(() => parseConfig({ ...valid, BCRYPT_COST: "4" })).toThrow(/BCRYPT_COST: /);
    expect(() => parseConfig({ ...valid, INIT_API_KEY: "too-short" })).toThrow(/INIT_API_KEY: /);
  });

  it("security #13.8 env: an empty value means unset (the default), as it does in compose files", () => {
    const c = parseConfig({ ...valid, USAGE_FLUSH_MS: "", METRICS_TOKEN: "", ADMIN_PASSWORD: "" });
    expect(c.USAGE_FLUSH_MS).toBe(500);
    expect(c.METRICS_TOKEN).toBeUndefined();
    expect(c.ADMIN_PASSWORD).toBeUndefined();
    expect(() => parseConfig({ ...valid, AUTH_SECRET: "" })).toThrow(/AUTH_SECRET: is required/);
  });

  it("security #13.8 env: the README's configuration table and the config schema list the same variables", () => {
    const table = readmeTable();
    const names = table.map((r) => r.name);
    const schema = Object.keys(configSchema.shape);
    expect(names.filter((n, i) => names.indexOf(n) !== i), "listed twice").toEqual([]);
    expect(schema.filter((k) => !names.includes(k)), "in the schema, missing from the README").toEqual([]);
    expect(names.filter((n) => !schema.includes(n)), "in the README, not in the schema").toEqual([]);
    // A default written as one code literal must be the schema's; prose ("generated", "unset") means the schema has none.
    for (const row of table) {
      const field = configSchema.shape[row.name as keyof typeof configSchema.shape];
      const parsed = field.safeParse(undefined);
      const schemaDefault = parsed.success ? parsed.data : undefined;
      const literal = /^`([^`]*)`$/.exec(row.default)?.[1];
      if (literal !== undefined) expect(String(schemaDefault), `README default of ${row.name}`).toBe(literal);
      else expect(schemaDefault, `${row.name}: the README gives no literal default, so the schema should have none`).toBeUndefined();
    }
  });

  it("security #13.8 env: every variable the code reads is in the config schema or is a listed build, test or SDK variable", () => {
    const files = ["lib", "app", "components", "scripts", "prisma"].flatMap((d) => sourceFiles(d)).concat(["instrumentation.ts", "proxy.ts", "next.config.mjs"]);
    const schema = new Set(Object.keys(configSchema.shape));
    const unknown: string[] = [];
    for (const file of files) {
      const src = readFileSync(join(ROOT, file), "utf8");
      for (const m of src.matchAll(/\benv\??\.([A-Z][A-Z0-9_]{2,})\b|\benv\[["']([A-Z][A-Z0-9_]{2,})["']\]|\benvNumber\(["']([A-Z][A-Z0-9_]{2,})["']/g)) {
        const name = m[1] ?? m[2] ?? m[3]!;
        if (!schema.has(name) && !(name in NOT_APP_SETTINGS)) unknown.push(`${file}: ${name}`);
      }
    }
    expect(unknown).toEqual([]);
    // Outside lib/config, only these application files may touch process.env at all; each says why beside the read.
    const rawReaders = files.filter((f) => /^(lib|app|components)\//.test(f) || /^(instrumentation|proxy)\.ts$/.test(f)).filter((f) => /process\.env/.test(readFileSync(join(ROOT, f), "utf8")));
    expect(rawReaders.sort()).toEqual([
      "app/api/bench/memory/route.ts", // PROMPTGATE_BENCH: benchmarks only
      "app/api/bench/noop/route.ts", // PROMPTGATE_BENCH: benchmarks only
      "app/api/bench/proxy/route.ts", // PROMPTGATE_BENCH, BENCH_UPSTREAM_URL: benchmarks only
      "instrumentation.ts", // NEXT_RUNTIME, set by Next
      "lib/auth/auth-config.ts", // shared with proxy.ts and evaluated at import, also by `next build`
      "lib/config.ts",
      "lib/db/embedded.ts", // the child Postgres's environment
      "lib/instance-secrets.ts", // runs before the configuration is complete (it completes it)
      "lib/observability/lifecycle.ts", // NEXT_MANUAL_SIG_HANDLE, set for Next by scripts/server.ts
      "lib/observability/logger.ts", // the logger exists before (and to report) a configuration error
      "lib/observability/tracing.ts", // OTEL_*: the SDK's own variables
      "lib/providers/address-policy.ts", // shared with the browser: cannot import lib/config (validated there at start)
      "proxy.ts", // NODE_ENV, inlined by Next
    ]);
  });
});
