import "server-only";
import { z } from "zod";
import { circuitSettings, routingStrategies } from "@/lib/accounts/schemas";
import { roles } from "@/lib/core/types";
import { invalidDomains, parseRoleMap, WORKSPACE_SLUG } from "@/lib/auth/schemas";

// The environment, parsed once. A bad or missing variable fails start-up with
// one message listing every problem, not the first one found. Every variable
// the app and its launcher read is declared here (a unit test checks the code
// and the README's table against this schema); an empty value counts as unset.
// The schema is read lazily, never at import: `next build` imports every module
// without the production environment.

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

/** A whole number within bounds: "30s" or "1.5" is refused, never read as NaN or truncated. */
const int = (min: number, max: number) =>
  z.coerce.number({ error: "must be a number" }).int("must be a whole number").min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
/** A number checked by a domain's own field schema, so the environment default and a stored setting obey the same bounds. */
const numberAs = (field: z.ZodNumber) => z.coerce.number({ error: "must be a number" }).pipe(field);
const port = int(1, 65_535);
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const secretKey = z.string().regex(/^[0-9a-fA-F]{64}$|^[A-Za-z0-9+/]{43}=$/, "must be 32 bytes as 64 hex characters or base64");

/** BUDGET_ALERT_EMAILS as a list. */
export const splitEmails = (v: string | undefined): string[] => (v ?? "").split(",").map((a) => a.trim()).filter(Boolean);

export const configSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),

  // ---- launcher and server (scripts/start.ts, scripts/server.ts) ----
  PORT: port.default(3000),
  // The address scripts/server.ts listens on.
  HOSTNAME: z.string().min(1).default("0.0.0.0"),
  // Worker processes of the production server (scripts/server.ts), one per core when unset; 1 keeps one process.
  WEB_CONCURRENCY: int(1, 64).optional(),
  // The production server's fast door for the hot API routes (scripts/lib/fast-door.ts); false sends every request through Next.
  PROMPTGATE_FAST_DOOR: bool.default(true),
  // The embedded Postgres's loopback port, used only while DATABASE_URL is unset.
  PROMPTGATE_PG_PORT: port.default(54_329),

  // ---- database ----
  DATABASE_URL: z.string().url({ message: "must be a postgres:// URL" }).refine((u) => /^postgres(ql)?:\/\//.test(u), "must be a postgres:// URL"),
  DATABASE_POOL_SIZE: int(1, 200).default(10),

  // ---- secrets and sign-in ----
  AUTH_SECRET: z.string().min(32, "must be at least 32 characters (generated into .data/secrets.json when unset)"),
  // Public URL of the console; https:// turns on secure cookies. Auth.js reads it too.
  AUTH_URL: z.string().url("must be a URL such as https://promptgate.example.com").optional(),
  AUTH_TRUST_HOST: bool.default(true),
  ENCRYPTION_KEY: secretKey,
  // Set to the old key while `npm run admin -- rotate-encryption-key` re-encrypts
  // stored secrets: reads fall back to it, so no instance loses its secrets mid-roll.
  ENCRYPTION_KEY_PREVIOUS: secretKey.optional(),
  // bcrypt cost of new password hashes: 10 is the floor; each step doubles a sign-in's CPU time.
  BCRYPT_COST: int(10, 16).default(11),
  LOGIN_MAX_ATTEMPTS: int(1, 1_000_000).default(10),
  LOGIN_WINDOW_SECONDS: int(1, 86_400 * 30).default(900),
  // How many reverse proxies in front of us append to X-Forwarded-For. 0 means
  // the header is not trusted (a client can set it), so no per-IP decisions.
  TRUST_PROXY_HOPS: int(0, 10).default(0),
  // The first start's admin and API key (prisma/seed.ts); generated and printed once when unset.
  ADMIN_EMAIL: z.string().trim().email("must be an email address").default("admin@promptgate.local"),
  ADMIN_PASSWORD: z.string().min(10, "must be at least 10 characters").max(200, "must be at most 200 characters").optional(),
  INIT_API_KEY: z.string().min(20, "must be at least 20 characters").optional(),
  // Which provider base URLs an admin may configure: "allow-private" (default;
  // self-hosted models on private networks, cloud metadata blocked) or
  // "public-only" (also blocks private, loopback, link-local and CGNAT literals).
  PROVIDER_URL_POLICY: z.enum(["allow-private", "public-only"]).default("allow-private"),

  // ---- single sign-on, OpenID Connect (lib/auth/sso.ts) ----
  // The issuer exactly as its discovery document names it; unset, there is no SSO.
  OIDC_ISSUER: z.string().url("must be the issuer URL, such as https://idp.example.com/realms/acme").optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  OIDC_DISPLAY_NAME: z.string().min(1).max(60, "must be at most 60 characters").default("Single sign-on"),
  OIDC_SCOPES: z.string().regex(/(^|\s)openid(\s|$)/, "must include openid").default("openid email profile"),
  // Comma list of email domains allowed to sign in with SSO; unset, any.
  OIDC_ALLOWED_DOMAINS: z.string().optional().superRefine((v, ctx) => {
    for (const d of invalidDomains(v)) ctx.addIssue({ code: "custom", message: `"${d}" is not a domain such as acme.com` });
  }),
  // The role of a user created at first sign-in, and of one no OIDC_ROLE_MAP entry matches.
  OIDC_DEFAULT_ROLE: z.enum(roles).default("viewer"),
  // The slug of the workspace a user created at first sign-in joins (with OIDC_DEFAULT_ROLE or the mapped role); unset: Default.
  OIDC_DEFAULT_WORKSPACE: z.string().regex(WORKSPACE_SLUG, "must be a workspace slug (lowercase letters, digits and dashes)").optional(),
  // The claim (dotted path allowed) whose values OIDC_ROLE_MAP maps, re-applied at every sign-in.
  OIDC_ROLE_CLAIM: z.string().min(1).optional(),
  // "value=role" (admin: instance admin) or "value=role@workspace-slug"; a slug no workspace has is skipped at sign-in, with a warning.
  OIDC_ROLE_MAP: z.string().optional().superRefine((v, ctx) => {
    try {
      parseRoleMap(v);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: (err as Error).message });
    }
  }),
  // false: no password form, and the server refuses password sign-ins, except ADMIN_EMAIL's (break glass).
  PASSWORD_LOGIN: bool.default(true),
  PASSWORD_LOGIN_BREAK_GLASS: bool.default(true),

  // ---- requests and API keys ----
  MAX_BODY_BYTES: int(1024, 1024 * 1024 * 1024).default(1_048_576),
  API_KEY_CACHE_TTL_MS: int(0, DAY_MS).default(10_000),
  // bcrypt runs off the event loop on this many threads at once, with this many
  // more waiting; past that a sign-in (or any password check) is refused as busy.
  // One thread leaves the other core(s) to the gateway; raise it on bigger machines.
  PASSWORD_HASH_CONCURRENCY: int(1, 16).default(1),
  PASSWORD_HASH_QUEUE: int(0, 1000).default(8),
  // CSV exports (lib/usage/export.ts) each hold a connection and a transaction: one is
  // ended when its reader takes nothing for the idle timeout, or at the maximum duration,
  // and a caller (user or API key) runs at most EXPORT_MAX_PER_USER at once.
  EXPORT_IDLE_TIMEOUT_MS: int(100, DAY_MS).default(60_000),
  EXPORT_MAX_DURATION_MS: int(1000, DAY_MS).default(30 * 60_000),
  EXPORT_MAX_PER_USER: int(1, 100).default(2),

  // ---- gateway retries (lib/gateway/retry.ts) ----
  // Attempts on one account before moving to the next (retryable failures only).
  GATEWAY_ATTEMPTS_PER_ACCOUNT: int(1, 10).default(2),
  // Base of the exponential backoff with full jitter.
  GATEWAY_RETRY_BASE_MS: int(0, 60_000).default(100),
  // A Retry-After longer than this is not waited for: the next account is tried instead.
  GATEWAY_MAX_RETRY_AFTER_MS: int(0, 600_000).default(5_000),

  // ---- accounts: refresh, health and routing defaults (lib/accounts) ----
  // Backstop reload of the in-memory account table; changes propagate over LISTEN/NOTIFY.
  ACCOUNT_REFRESH_MS: int(100, DAY_MS).default(5_000),
  // How often each instance writes its account health snapshot for the others.
  ACCOUNT_SNAPSHOT_MS: int(100, DAY_MS).default(10_000),
  // Tick of the active probes of unhealthy accounts.
  ACCOUNT_PROBE_TICK_MS: int(50, DAY_MS).default(1_000),
  // The defaults of the routing settings an admin can change in the console.
  ACCOUNT_STRATEGY: z.enum(routingStrategies).default("weighted"),
  ACCOUNT_CIRCUIT_FAILURES: numberAs(circuitSettings.shape.consecutiveFailures).default(5),
  ACCOUNT_CIRCUIT_ERROR_RATE: numberAs(circuitSettings.shape.errorRate).default(0.5),
  ACCOUNT_CIRCUIT_WINDOW_MS: numberAs(circuitSettings.shape.windowMs).default(60_000),
  ACCOUNT_CIRCUIT_MIN_REQUESTS: numberAs(circuitSettings.shape.minRequests).default(20),
  ACCOUNT_CIRCUIT_COOLDOWN_MS: numberAs(circuitSettings.shape.cooldownMs).default(5_000),
  ACCOUNT_CIRCUIT_MAX_COOLDOWN_MS: numberAs(circuitSettings.shape.maxCooldownMs).default(300_000),
  ACCOUNT_RATE_LIMIT_COOLDOWN_MS: numberAs(circuitSettings.shape.rateLimitCooldownMs).default(1_000),

  // ---- quotas (lib/quota) ----
  // Completion tokens assumed when neither the request nor the policy caps them.
  QUOTA_DEFAULT_MAX_TOKENS: int(1, 10_000_000).default(4096),
  // Backstop reload of the policy cache; changes propagate over LISTEN/NOTIFY.
  QUOTA_POLICY_REFRESH_MS: int(100, DAY_MS).default(30_000),
  // A dead instance's reservations lapse after this; a live one renews its own.
  QUOTA_RESERVATION_TTL_MS: int(1_000, DAY_MS).default(120_000),
  // The sweeper's interval; unset, a quarter of the TTL within 250 ms and 15 s.
  QUOTA_SWEEP_MS: int(50, HOUR_MS).optional(),
  // How long a call refused only because of other calls' reservations (lib/quota) waits for them to
  // settle before it is refused. 0 refuses at once; the client's request is held meanwhile, so keep it short.
  QUOTA_RESERVED_WAIT_MS: int(0, 5000).default(1000),
  // A call whose admission needs the database gets 503 once the database has answered nothing for
  // this long (lib/quota, faults #14.3). A slow database that still answers is waited for.
  QUOTA_ADMISSION_TIMEOUT_MS: int(50, 60_000).default(1000),
  // While the database cannot be reached: "none" refuses every call under a policy (503);
  // "rate-limits" admits calls whose policies only have per-minute limits, counted once it is back.
  // Spend, daily and monthly budgets always fail closed.
  QUOTA_FAIL_OPEN: z.enum(["none", "rate-limits"]).default("none"),

  // ---- outbound webhooks and email (lib/webhooks) ----
  // Each instance delivers from the outbox (claims are FOR UPDATE SKIP LOCKED, so any number may); false: this one does not.
  WEBHOOK_WORKER: bool.default(true),
  // Backstop poll of the outbox and due retries; a new event wakes the workers at once over LISTEN/NOTIFY.
  WEBHOOK_POLL_MS: int(50, HOUR_MS).default(5_000),
  // One delivery attempt (connect, send, response headers and body) is given up after this.
  WEBHOOK_TIMEOUT_MS: int(100, 120_000).default(10_000),
  // Retries: exponential backoff from the base, doubled per attempt up to the cap, with jitter, for the window.
  WEBHOOK_RETRY_BASE_MS: int(10, DAY_MS).default(5_000),
  WEBHOOK_RETRY_MAX_MS: int(10, DAY_MS).default(HOUR_MS),
  WEBHOOK_RETRY_WINDOW_MS: int(1_000, 30 * DAY_MS).default(DAY_MS),

  // ---- evaluation runs (lib/evals) ----
  // Each instance may work evaluation runs, one instance per run (a lease); false: this one does not.
  EVAL_WORKER: bool.default(true),
  // How often an idle worker looks for a queued run (a new run also wakes it over LISTEN/NOTIFY).
  EVAL_POLL_MS: int(50, HOUR_MS).default(2_000),
  // A run's lease, renewed every third of it while the run is worked; a dead instance's run is taken over after it.
  EVAL_LEASE_MS: int(1_000, HOUR_MS).default(30_000),
  // Budget alerts by email over SMTP: SMTP_URL (smtp[s]://user:pass@host:port) or SMTP_HOST and the rest;
  // no SMTP, or no BUDGET_ALERT_EMAILS, and email is off.
  SMTP_URL: z.string().regex(/^smtps?:\/\//, "must be an smtp:// or smtps:// URL").optional(),
  SMTP_HOST: z.string().min(1).optional(),
  SMTP_PORT: port.default(587),
  SMTP_USER: z.string().min(1).optional(),
  SMTP_PASSWORD: z.string().min(1).optional(),
  // true: TLS from the first byte (port 465); false: STARTTLS when the server offers it.
  SMTP_SECURE: bool.default(false),
  SMTP_FROM: z.string().min(3).default("Promptgate <promptgate@localhost>"),
  // Comma list of addresses that get every budget.threshold and budget.exhausted alert, of every workspace.
  BUDGET_ALERT_EMAILS: z.string().optional().superRefine((v, ctx) => {
    for (const a of splitEmails(v)) if (!z.string().email().safeParse(a).success) ctx.addIssue({ code: "custom", message: `"${a}" is not an email address` });
  }),

  // ---- usage and the response cache ----
  // Usage events are batched and written at least this often: the most a crash can lose.
  USAGE_FLUSH_MS: int(10, 600_000).default(500),
  // The response cache (lib/gateway/cache.ts).
  CACHE_TTL_SECONDS: int(1, 86_400 * 365).default(3600),
  CACHE_MAX_ENTRY_BYTES: int(1, 1024 * 1024 * 1024).default(256 * 1024),
  CACHE_MAX_TOTAL_BYTES: int(1, Number.MAX_SAFE_INTEGER).default(256 * 1024 * 1024),
  CACHE_ANY_TEMPERATURE: bool.default(false),
  // Stored responses (/api/v1/responses with store, lib/responses): kept this many days, then swept.
  RESPONSES_RETENTION_DAYS: int(1, 3650).default(30),

  // ---- operations ----
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  // When set, /api/metrics wants `Authorization: Bearer <token>`.
  METRICS_TOKEN: z.string().optional(),
  // Service level objectives (lib/observability/slo.ts), as in deploy/prometheus/alerts.yml.
  SLO_AVAILABILITY_TARGET: z.coerce.number({ error: "must be a number" }).gt(0, "must be above 0").lt(1, "must be below 1 (0.995 is 99.5 %)").default(0.995),
  SLO_LATENCY_P95_MS: int(1, HOUR_MS).default(2500),
  // Shutdown (lib/observability/lifecycle.ts): after SIGTERM new calls are still
  // served for DRAIN_GRACE_MS (load balancers need a moment to see readiness
  // fail), then refused with 503; in-flight calls may run until SHUTDOWN_DEADLINE_MS.
  SHUTDOWN_DEADLINE_MS: int(0, HOUR_MS).default(30_000),
  DRAIN_GRACE_MS: int(0, HOUR_MS).default(5_000),
});

/** Never echoed back in an error message. */
const SECRETS = new Set(["DATABASE_URL", "AUTH_SECRET", "ENCRYPTION_KEY", "ENCRYPTION_KEY_PREVIOUS", "ADMIN_PASSWORD", "INIT_API_KEY", "METRICS_TOKEN", "OIDC_CLIENT_SECRET", "SMTP_URL", "SMTP_PASSWORD"]);

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  const c = parseWith(configSchema, env) as Config;
  const issues = crossChecks(c);
  if (issues.length) throw new ConfigError(issues);
  return c;
}

/** Rules across variables (kept out of the schema, whose fields parseSettings picks one by one). */
function crossChecks(c: Config): string[] {
  const issues: string[] = [];
  const oidc = { OIDC_ISSUER: c.OIDC_ISSUER, OIDC_CLIENT_ID: c.OIDC_CLIENT_ID, OIDC_CLIENT_SECRET: c.OIDC_CLIENT_SECRET };
  const set = Object.entries(oidc).filter(([, v]) => v !== undefined);
  if (set.length > 0 && set.length < 3) {
    for (const [k, v] of Object.entries(oidc)) if (v === undefined) issues.push(`${k}: is required with ${set.map(([n]) => n).join(" and ")}`);
  }
  if (!c.PASSWORD_LOGIN && !c.OIDC_ISSUER) issues.push("PASSWORD_LOGIN: false needs single sign-on (OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET)");
  return issues;
}

/**
 * Only the given variables, by the same rules: for code that runs before the
 * rest of the environment exists (the first-start seed, the launcher).
 */
export function parseSettings<K extends keyof Config>(env: Record<string, string | undefined>, keys: readonly K[]): Pick<Config, K> {
  const mask: Partial<Record<keyof Config, true>> = Object.fromEntries(keys.map((k) => [k, true]));
  return parseWith(configSchema.pick(mask), env) as Pick<Config, K>;
}

function parseWith(schema: z.ZodObject, env: Record<string, string | undefined>): unknown {
  // `VAR=` (as compose files write an unset optional value) means the default.
  const set = Object.fromEntries(Object.keys(schema.shape).filter((k) => env[k] !== undefined && env[k] !== "").map((k) => [k, env[k]]));
  const result = schema.safeParse(set);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => {
    const key = i.path.join(".");
    const value = set[key];
    if (value === undefined) return `${key}: is required`;
    return SECRETS.has(key) ? `${key}: ${i.message}` : `${key}: ${i.message}, got ${JSON.stringify(value)}`;
  });
  throw new ConfigError(issues);
}

let cached: Config | undefined;

export function config(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/**
 * config() for a server's start: on a bad environment, the operator's message
 * on stderr and exit 1. Throwing is not enough there: Next logs a failed
 * instrumentation register() and keeps listening, answering every request 500.
 */
export function configOrExit(): Config {
  try {
    return config();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`\n${err.message}\n\n`);
    process.exit(1);
  }
}
