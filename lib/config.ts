import "server-only";
import { z } from "zod";

// The environment, parsed once. A bad or missing variable fails start-up with
// one message listing every problem, not the first one found.

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

export const configSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: z.string().url({ message: "must be a postgres:// URL" }).refine((u) => /^postgres(ql)?:\/\//.test(u), "must be a postgres:// URL"),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  AUTH_SECRET: z.string().min(32, "must be at least 32 characters (generated into .data/secrets.json when unset)"),
  AUTH_TRUST_HOST: bool.default(true),
  ENCRYPTION_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$|^[A-Za-z0-9+/]{43}=$/, "must be 32 bytes as 64 hex characters or base64"),
  // Set to the old key while `npm run admin -- rotate-encryption-key` re-encrypts
  // stored secrets: reads fall back to it, so no instance loses its secrets mid-roll.
  ENCRYPTION_KEY_PREVIOUS: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$|^[A-Za-z0-9+/]{43}=$/, "must be 32 bytes as 64 hex characters or base64")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  // Which provider base URLs an admin may configure: "allow-private" (default;
  // self-hosted models on private networks, cloud metadata blocked) or
  // "public-only" (also blocks private, loopback, link-local and CGNAT literals).
  PROVIDER_URL_POLICY: z.enum(["allow-private", "public-only"]).default("allow-private"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  API_KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).default(10_000),
  // The response cache (lib/gateway/cache.ts).
  CACHE_TTL_SECONDS: z.coerce.number().int().min(1).default(3600),
  CACHE_MAX_ENTRY_BYTES: z.coerce.number().int().min(1).default(256 * 1024),
  CACHE_MAX_TOTAL_BYTES: z.coerce.number().int().min(1).default(256 * 1024 * 1024),
  CACHE_ANY_TEMPERATURE: bool.default(false),
  LOGIN_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(10),
  LOGIN_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
  // How many reverse proxies in front of us append to X-Forwarded-For. 0 means
  // the header is not trusted (a client can set it), so no per-IP decisions.
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  // How long a call refused only because of other calls' reservations (lib/quota) waits for them to
  // settle before it is refused. 0 refuses at once; the client's request is held meanwhile, so keep it short.
  QUOTA_RESERVED_WAIT_MS: z.coerce.number().int().min(0).max(5000).default(1000),
  // A call whose admission needs the database gets 503 once the database has answered nothing for
  // this long (lib/quota, faults #14.3). A slow database that still answers is waited for.
  QUOTA_ADMISSION_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  // While the database cannot be reached: "none" refuses every call under a policy (503);
  // "rate-limits" admits calls whose policies only have per-minute limits, counted once it is back.
  // Spend, daily and monthly budgets always fail closed.
  QUOTA_FAIL_OPEN: z.enum(["none", "rate-limits"]).default("none"),
  // Shutdown (lib/observability/lifecycle.ts): after SIGTERM new calls are still
  // served for DRAIN_GRACE_MS (load balancers need a moment to see readiness
  // fail), then refused with 503; in-flight calls may run until SHUTDOWN_DEADLINE_MS.
  SHUTDOWN_DEADLINE_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  DRAIN_GRACE_MS: z.coerce.number().int().min(0).max(3_600_000).default(5_000),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = configSchema.safeParse(env);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => {
    const key = i.path.join(".");
    const missing = env[key] === undefined;
    return `${key}: ${missing ? "is required" : i.message}`;
  });
  throw new ConfigError(issues);
}

let cached: Config | undefined;

export function config(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}
