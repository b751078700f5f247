import "server-only";
import pino from "pino";

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

/** The process logger's configuration; a destination can be given for tests. */
export function createLogger(destination?: pino.DestinationStream, level = process.env.LOG_LEVEL ?? (process.env.NODE_ENV === "test" ? "silent" : "info")) {
  const options: pino.LoggerOptions = {
    level,
    base: { service: "promptgate" },
    redact: { paths: redactPaths, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}

export const logger = createLogger();

export type Logger = pino.Logger;
