import { z } from "zod";
import { providerKind } from "@/lib/providers/schemas";

// Cloud metadata endpoints are never a legitimate upstream: a base URL pointing
// there would let anyone with the admin role read instance credentials (SSRF).
// Under the default policy ("allow-private") private ranges stay allowed because
// self-hosted models live there; PROVIDER_URL_POLICY=public-only also refuses
// private, loopback, link-local and CGNAT addresses and `localhost`.
//
// Only what the URL says is checked: a public hostname that resolves to a
// private address (or is re-pointed there later: DNS rebinding) is not caught.
// Deployments that need that guarantee must filter egress at the network layer.
const METADATA_HOSTS = new Set(["169.254.169.254", "metadata.google.internal", "metadata", "100.100.100.200", "fd00:ec2::254"]);

export const providerUrlPolicies = ["allow-private", "public-only"] as const;
export type ProviderUrlPolicy = (typeof providerUrlPolicies)[number];

function ipv4(host: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

/** Eight 16-bit groups, or null when `host` is not an IPv6 literal. */
function ipv6(host: string): number[] | null {
  if (!host.includes(":")) return null;
  let h = host;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (tail) {
    const v4 = ipv4(tail[1]!);
    if (!v4) return null;
    h = h.slice(0, -tail[1]!.length) + `${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = h.split("::");
  if (halves.length > 2) return null;
  const parse = (s: string) => (s === "" ? [] : s.split(":").map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN)));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const fill = 8 - head.length - rest.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return null;
  const groups = [...head, ...Array<number>(halves.length === 2 ? fill : 0).fill(0), ...rest];
  return groups.some(Number.isNaN) ? null : groups;
}

function privateV4([a, b]: number[]): boolean {
  return (
    a === 0 || a === 10 || a === 127 ||
    (a === 169 && b === 254) || // link-local
    (a === 172 && b! >= 16 && b! <= 31) ||
    (a === 192 && b === 168) ||
    (a === 100 && b! >= 64 && b! <= 127) // CGNAT
  );
}

/** The IPv4 address an IPv6 literal carries (::ffff:a.b.c.d mapped), if any. */
function mappedV4(g: number[]): number[] | null {
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return [g[6]! >> 8, g[6]! & 255, g[7]! >> 8, g[7]! & 255];
  return null;
}

/**
 * Why `url` may not be a provider base URL under `policy`, or null when it may.
 * WHATWG URL parsing has already normalised IPv4 spellings (0x7f.1, 2130706433)
 * to dotted decimal, so literals are compared in one form.
 */
export function providerUrlProblem(url: string, policy: ProviderUrlPolicy = "allow-private"): string | null {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  } catch {
    return "must be an http(s) URL";
  }
  const v6 = ipv6(host);
  const v4 = ipv4(host) ?? (v6 && mappedV4(v6));
  const metadata = METADATA_HOSTS.has(host) || (v4 !== null && METADATA_HOSTS.has(v4.join(".")));
  if (metadata) return "points at a cloud metadata address, which is blocked";
  if (policy === "allow-private") return null;
  const blocked =
    host === "localhost" || host.endsWith(".localhost") ||
    (v4 !== null && privateV4(v4)) ||
    (v6 !== null && !v4 && (
      v6.every((x) => x === 0) || // ::
      (v6.slice(0, 7).every((x) => x === 0) && v6[7] === 1) || // ::1
      (v6[0]! & 0xfe00) === 0xfc00 || // fc00::/7 unique local
      (v6[0]! & 0xffc0) === 0xfe80)); // fe80::/10 link-local
  return blocked ? "points at a private, loopback or link-local address, which PROVIDER_URL_POLICY=public-only blocks" : null;
}

// Read from the environment, not lib/config: this file is shared with the
// browser, where the variable is absent and the default (the weaker policy)
// applies; the server, which makes the decision that counts, sees the real one.
// lib/config validates the value at start-up.
const activePolicy = (): ProviderUrlPolicy =>
  (typeof process !== "undefined" && process.env?.PROVIDER_URL_POLICY === "public-only" ? "public-only" : "allow-private");

export const baseUrl = z
  .string()
  .trim()
  .url("must be an http(s) URL")
  .refine((u) => /^https?:\/\//i.test(u), "must be an http(s) URL")
  .superRefine((u, ctx) => {
    if (!URL.canParse(u)) return; // reported by .url() above
    const problem = providerUrlProblem(u, activePolicy());
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .transform((u) => u.replace(/\/+$/, ""));

const modelPattern = z.string().trim().min(1).max(200).regex(/^[A-Za-z0-9._:/@*-]+$/, "may contain letters, digits, . _ : / @ - and *");

const fields = {
  name: z.string().trim().min(1, "is required").max(100),
  provider: providerKind,
  baseUrl: baseUrl.nullish(),
  apiKey: z.string().trim().min(1).max(4000).nullish(),
  models: z.array(modelPattern).max(500),
  aliases: z.record(modelPattern, modelPattern),
  settings: z.record(z.string(), z.unknown()),
  enabled: z.boolean(),
  weight: z.number().int().min(0).max(1000),
  priority: z.number().int().min(0).max(100),
  firstByteTimeoutMs: z.number().int().min(100).max(600_000),
  idleTimeoutMs: z.number().int().min(100).max(600_000),
  rpmLimit: z.number().int().min(1).max(100_000_000).nullable(),
  tpmLimit: z.number().int().min(1).max(2_000_000_000).nullable(),
  probeMode: z.enum(["off", "models", "completion"]),
  probeIntervalSec: z.number().int().min(5).max(86_400),
  probeModel: modelPattern.nullable(),
  modelOverrides: z.record(modelPattern, z.object({ weight: z.number().int().min(0).max(1000).optional(), priority: z.number().int().min(0).max(100).optional() })),
};

export const createAccountInput = z
  .object({
    ...fields,
    models: fields.models.default([]),
    aliases: fields.aliases.default({}),
    settings: fields.settings.default({}),
    enabled: fields.enabled.default(true),
    weight: fields.weight.default(1),
    priority: fields.priority.default(0),
    firstByteTimeoutMs: fields.firstByteTimeoutMs.default(30_000),
    idleTimeoutMs: fields.idleTimeoutMs.default(60_000),
    rpmLimit: fields.rpmLimit.default(null),
    tpmLimit: fields.tpmLimit.default(null),
    probeMode: fields.probeMode.default("off"),
    probeIntervalSec: fields.probeIntervalSec.default(60),
    probeModel: fields.probeModel.default(null),
    modelOverrides: fields.modelOverrides.default({}),
  })
  .refine((a) => a.provider !== "azure" || a.baseUrl, {
    message: "is required for Azure (the deployment URL)",
    path: ["baseUrl"],
  });
export type CreateAccountInput = z.input<typeof createAccountInput>;

/** Every field optional; `apiKey: null` clears the secret, absent keeps it. */
export const updateAccountInput = z.object(fields).partial();
export type UpdateAccountInput = z.input<typeof updateAccountInput>;

// ─── Account health: routing settings and admin actions ───

export const routingStrategies = ["weighted", "least_latency", "least_busy", "most_headroom", "cheapest"] as const;
export const routingStrategy = z.enum(routingStrategies);
export type RoutingStrategy = z.infer<typeof routingStrategy>;

export const strategyLabels: Record<RoutingStrategy, string> = {
  weighted: "Weighted random",
  least_latency: "Least latency (EWMA, power of two choices)",
  least_busy: "Least busy (fewest calls in flight)",
  most_headroom: "Most rate-limit headroom",
  cheapest: "Cheapest (model price)",
};

/** Circuit-breaker thresholds; every field has a default (lib/accounts/routing-settings.ts). */
export const circuitSettings = z.object({
  /** Opens after this many consecutive failures. */
  consecutiveFailures: z.number().int().min(1).max(1000),
  /** …or when the error rate over the window exceeds this fraction… */
  errorRate: z.number().min(0.01).max(1),
  windowMs: z.number().int().min(1000).max(3_600_000),
  /** …with at least this many requests in the window. */
  minRequests: z.number().int().min(1).max(100_000),
  /** First cooldown; doubles on each trip that follows a recent one, up to maxCooldownMs. */
  cooldownMs: z.number().int().min(100).max(3_600_000),
  maxCooldownMs: z.number().int().min(100).max(86_400_000),
  /** Used for a 429 without Retry-After. */
  rateLimitCooldownMs: z.number().int().min(0).max(3_600_000),
});
export type CircuitSettings = z.infer<typeof circuitSettings>;

export const routingSettings = z.object({
  strategy: routingStrategy,
  /** Model pattern (globs allowed) → strategy; the most specific match wins. */
  modelStrategies: z.record(modelPattern, routingStrategy),
  circuit: circuitSettings,
});
export type RoutingSettings = z.infer<typeof routingSettings>;

export const updateRoutingSettingsInput = z.object({
  strategy: routingStrategy.optional(),
  modelStrategies: z.record(modelPattern, routingStrategy).optional(),
  circuit: circuitSettings.partial().optional(),
});
export type UpdateRoutingSettingsInput = z.input<typeof updateRoutingSettingsInput>;

export const accountHealthActions = ["disable", "enable", "drain", "undrain", "reset_circuit", "probe"] as const;
export const accountHealthAction = z.object({ action: z.enum(accountHealthActions) });
export type AccountHealthAction = (typeof accountHealthActions)[number];
