// What the error model counts as "the database could not be reached", so that
// toAppError answers 503 for it in every layer (lib/db's bounded waits throw it).

/** The database cannot be reached now (refused, dropped, or silent for longer than a bound). */
export class DatabaseUnavailableError extends Error {
  constructor(message = "The database is unreachable", options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DatabaseUnavailableError";
  }
}

const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
// Prisma: can't reach server, timed out, operations timed out, server closed the connection, pool timeout.
const PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
const ADAPTER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
// SQLSTATE: class 08 (connection exception), admin/crash shutdown, cannot connect now, too many connections.
const isUnreachableState = (s: string) => s.startsWith("08") || s === "57P01" || s === "57P02" || s === "57P03" || s === "53300";
const MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|not queryable|Connection ended|database system is (shutting down|starting up|in recovery)|terminating connection/i;

type ErrorLike = {
  code?: unknown; message?: unknown; cause?: unknown;
  meta?: { driverAdapterError?: { cause?: { kind?: unknown; originalCode?: unknown } } };
};

/** Whether an error (from pg, Prisma or our own bounded waits) means the database could not be reached. */
export function isDatabaseUnreachable(err: unknown): boolean {
  let e = err as ErrorLike | undefined;
  for (let depth = 0; e && typeof e === "object" && depth < 5; depth++, e = e.cause as ErrorLike | undefined) {
    if (e instanceof DatabaseUnavailableError) return true;
    const code = typeof e.code === "string" ? e.code : "";
    if (SOCKET_CODES.has(code) || PRISMA_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && isUnreachableState(code))) return true;
    const adapter = e.meta?.driverAdapterError?.cause;
    if (typeof adapter?.kind === "string" && ADAPTER_KINDS.has(adapter.kind)) return true;
    if (typeof adapter?.originalCode === "string" && isUnreachableState(adapter.originalCode)) return true;
    if (typeof e.message === "string" && MESSAGES.test(e.message)) return true;
  }
  return false;
}

