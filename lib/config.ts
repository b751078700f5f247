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
  // bcrypt runs off the event loop on this many threads at once, with this many
  // more waiting; past that a sign-in (or any password check) is refused as busy.
  // One thread leaves the other core(s) to the gateway; raise it on bigger machines.
  PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(1),
  PASSWORD_HASH_QUEUE: z.coerce.number().int().min(0).max(1000).default(8),
  // CSV exports (lib/usage/export.ts) each hold a connection and a transaction: one is
  // ended when its reader takes nothing for the idle timeout, or at the maximum duration,
  // and a caller (user or API key) runs at most EXPORT_MAX_PER_USER at once.
  EXPORT_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
  EXPORT_MAX_DURATION_MS: z.coerce.number().int().min(1000).default(30 * 60_000),
  EXPORT_MAX_PER_USER: z.coerce.number().int().min(1).max(100).default(2),
  // How many reverse proxies in front of us append to X-Forwarded-For. 0 means
  // the header is not trusted (a client can set it), so no per-IP decisions.
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  // How long a call refused only because of other calls' reservations (lib/quota) waits for them to
  // settle before it is refused. 0 refuses at once; the client's request is held meanwhile, so keep it short.
  QUOTA_RESERVED_WAIT_MS: z.coerce.number().int().min(0).max(5000).default(1000),
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
