import "server-only";
import pino from "pino";
import { configSchema } from "@/lib/config";

// Every path a secret can take into a log line is redacted here, once, so a
// careless `log.info({ req })` cannot leak a key or a password.
export const redactPaths = [
  "password",
  "*.password",
  "passwordHash",
  "*.passwordHash",
  "currentPassword",
  "*.currentPassword",
  "newPassword",
  "*.newPassword",
  "apiKey",
  "*.apiKey",
  "key",
  "*.key",
  "secret",
  "*.secret",
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "headers.cookie",
  'headers["x-api-key"]',
  'headers["set-cookie"]',
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-api-key"]',
  "cookie",
  "*.cookie",
];

// Credentials an error can carry in its text: Node's URL parser keeps the
// whole input on the error (err.input), and driver and HTTP errors quote
// connection strings and headers. Redaction paths cannot see inside a string,
// so every string of a logged error goes through these.
const credentialPatterns: [RegExp, string][] = [
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/?#]*:)[^\s@/?#]+@/gi, "$1[redacted]@"], // scheme://user:password@
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, "$1 [redacted]"], // Authorization values
  [/\b(password|passwd|pwd)=[^\s&;]+/gi, "$1=[redacted]"], // libpq key=value and query strings
];

export function scrubCredentials(text: string): string {
  return credentialPatterns.reduce((t, [pattern, replacement]) => t.replace(pattern, replacement), text);
}

// The redaction paths' field names, censored at any depth of a logged error:
// the paths are anchored at the log line's root, and an error can carry
// headers or options (its own fields, or its cause's) further down.
const secretFields = new Set(redactPaths.map((p) => /([A-Za-z-]+)"?\]?$/.exec(p)![1]!.toLowerCase()));

function scrubDeep(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return scrubCredentials(value);
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = secretFields.has(k.toLowerCase()) ? "[redacted]" : scrubDeep(v, depth + 1);
  return out;
}

/**
 * pino's error serializer with the cause kept as its own object (type,
 * message, stack, code...), credentials scrubbed from every string. Call sites
 * log `{ err }`, never `String(err)`, which would keep only the first line.
 */
export function serializeError(err: unknown): unknown {
  return err instanceof Error ? scrubDeep(pino.stdSerializers.errWithCause(err)) : scrubDeep(err);
}

/**
 * LOG_LEVEL is read here, not through lib/config: the logger exists before the
 * configuration is parsed (and reports a bad one). The value goes through the
 * schema's own field, so a bad level falls back here and still fails config().
 */
function defaultLevel(): string {
  const level = configSchema.shape.LOG_LEVEL.safeParse(process.env.LOG_LEVEL || undefined);
  return level.success && process.env.LOG_LEVEL ? level.data : process.env.NODE_ENV === "test" ? "silent" : "info";
}

/** The process logger's configuration; a destination can be given for tests. */
export function createLogger(destination?: pino.DestinationStream, level = defaultLevel()) {
  const options: pino.LoggerOptions = {
    level,
    base: { service: "promptgate" },
    serializers: { err: serializeError },
    redact: { paths: redactPaths, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}

export const logger = createLogger();

export type Logger = pino.Logger;
