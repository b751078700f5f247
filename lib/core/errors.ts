import "server-only";
import { ZodError } from "zod";
import { isDatabaseUnreachable } from "./db-errors";

// One table from error code to HTTP status and OpenAI error `type`. Every
// error the API returns is one of these codes; nothing else leaks out.
export const errorCodes = {
  bad_request: { status: 400, type: "invalid_request_error" },
  invalid_json: { status: 400, type: "invalid_request_error" },
  validation_error: { status: 400, type: "invalid_request_error" },
  unauthorized: { status: 401, type: "authentication_error" },
  invalid_api_key: { status: 401, type: "invalid_request_error" },
  forbidden: { status: 403, type: "permission_error" },
  not_found: { status: 404, type: "not_found_error" },
  method_not_allowed: { status: 405, type: "invalid_request_error" },
  conflict: { status: 409, type: "conflict_error" },
  payload_too_large: { status: 413, type: "invalid_request_error" },
  unsupported_media_type: { status: 415, type: "invalid_request_error" },
  rate_limit_exceeded: { status: 429, type: "rate_limit_exceeded" },
  quota_exceeded: { status: 429, type: "quota_exceeded" },
  internal_error: { status: 500, type: "server_error" },
  bad_gateway: { status: 502, type: "upstream_error" },
  service_unavailable: { status: 503, type: "server_error" },
  gateway_timeout: { status: 504, type: "timeout_error" },
} as const satisfies Record<string, { status: number; type: string }>;

export type ErrorCode = keyof typeof errorCodes;

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: {
      param?: string | null;
      headers?: Record<string, string>;
      /** Overrides the table's status, e.g. an upstream's own 4xx. */
      status?: number;
      /** Overrides the OpenAI `type`, e.g. an upstream's own error type. */
      type?: string;
      extra?: Record<string, unknown>;
    } = {},
    /** The error this one stands for, e.g. the unknown error behind a 500: the logger prints its message and stack. */
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "AppError";
    this.status = details.status ?? errorCodes[code].status;
  }
}

/** Seconds a client is told to wait when the database cannot be reached. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

/** 503 for a call that needed the database while it could not be reached; `code` database_unavailable. */
export function databaseUnavailable(message = "The database is unreachable right now; retry in a few seconds"): AppError {
  return new AppError("service_unavailable", message, {
    headers: { "retry-after": String(DATABASE_RETRY_AFTER_SECONDS) },
    extra: { code: "database_unavailable" },
  });
}

/** Whether an error is the 503 of databaseUnavailable(). */
export const isDatabaseUnavailable = (e: AppError) => e.code === "service_unavailable" && e.details.extra?.code === "database_unavailable";

export const notFound = (what: string) => new AppError("not_found", `${what} not found`);
export const forbidden = (message = "You do not have permission to do this") => new AppError("forbidden", message);

/** Anything with the shape of a provider error (lib/providers), without importing it. */
type UpstreamLike = { name: string; status: number; code: string; message: string; retryAfterMs?: number };
function isUpstreamError(e: unknown): e is UpstreamLike {
  return e instanceof Error && e.name === "ProviderError" && typeof (e as Partial<UpstreamLike>).status === "number";
}

type PrismaLike = {
  code: string;
  meta?: { target?: unknown; modelName?: string; cause?: string; driverAdapterError?: { cause?: { originalCode?: string; originalMessage?: string } } };
};
function prismaCode(e: unknown): PrismaLike | undefined {
  if (e && typeof e === "object" && "code" in e && typeof (e as PrismaLike).code === "string" && /^P\d{4}$/.test((e as PrismaLike).code)) {
    return e as PrismaLike;
  }
  return undefined;
}

/** Maps any thrown value to an AppError. Unknown errors become a 500 whose message hides internals. */
export function toAppError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  if (e instanceof ZodError) {
    const first = e.issues[0];
    const param = first?.path.length ? first.path.join(".") : null;
    const message = first ? (param ? `Invalid value for '${param}': ${first.message}` : first.message) : "Invalid request";
    return new AppError("validation_error", message, { param, extra: { issues: e.issues.map((i) => ({ path: i.path.join("."), message: i.message })) } });
  }
  const p = prismaCode(e);
  if (p?.code === "P2002") {
    const target = Array.isArray(p.meta?.target) ? (p.meta.target as string[]).join(", ") : String(p.meta?.target ?? "value");
    return new AppError("conflict", `A record with this ${target} already exists`, { param: target });
  }
  if (p?.code === "P2025") return new AppError("not_found", `${p.meta?.modelName ?? "Record"} not found`);
  // Postgres refused a value as data (class 22: out of range, not representable): the caller's input, not our fault.
  const sqlstate = p?.meta?.driverAdapterError?.cause?.originalCode;
  if (sqlstate?.startsWith("22")) {
    return new AppError("validation_error", `A value could not be stored: ${p?.meta?.driverAdapterError?.cause?.originalMessage ?? sqlstate}`);
  }
  // The database refused, dropped or did not answer: a moment's outage, not a bug (faults #14.3).
  if (isDatabaseUnreachable(e)) return databaseUnavailable();
  if (isUpstreamError(e)) {
    const status = e.status === 429 ? 429 : e.status === 504 ? 504 : e.status >= 400 && e.status < 500 ? e.status : 502;
    const headers: Record<string, string> = {};
    if (e.retryAfterMs !== undefined) headers["retry-after"] = String(Math.ceil(e.retryAfterMs / 1000));
    const code: ErrorCode = status === 429 ? "rate_limit_exceeded" : status === 504 ? "gateway_timeout" : status >= 500 ? "bad_gateway" : "bad_request";
    const upstreamType = (e as { upstreamType?: unknown }).upstreamType;
    return new AppError(code, e.message, { status, headers, extra: { upstream_code: e.code, ...(typeof upstreamType === "string" ? { upstream_type: upstreamType } : {}) } });
  }
  // The body says nothing of it; the cause keeps it for the log line.
  return new AppError("internal_error", "Internal server error", {}, { cause: e });
}

export type Envelope = "openai" | "anthropic" | "default";

// Anthropic's error types (https://docs.anthropic.com/en/api/errors). An upstream's own type is kept when it is one of them.
const ANTHROPIC_TYPES = new Set([
  "invalid_request_error", "authentication_error", "billing_error", "permission_error", "not_found_error", "request_too_large",
  "rate_limit_error", "api_error", "timeout_error", "overloaded_error",
]);
const ANTHROPIC_BY_STATUS: Record<number, string> = {
  400: "invalid_request_error", 401: "authentication_error", 402: "billing_error", 403: "permission_error", 404: "not_found_error",
  413: "request_too_large", 429: "rate_limit_error", 504: "timeout_error", 529: "overloaded_error",
};

/** The Anthropic error type for one of our errors: the upstream's own when it is Anthropic's, else by status. */
export function anthropicErrorType(err: AppError): string {
  const upstream = err.details.extra?.upstream_type;
  if (typeof upstream === "string" && ANTHROPIC_TYPES.has(upstream)) return upstream;
  return ANTHROPIC_BY_STATUS[err.status] ?? (err.status >= 500 ? "api_error" : "invalid_request_error");
}

export function errorBody(err: AppError, envelope: Envelope, requestId?: string): unknown {
  if (envelope === "anthropic") {
    return { type: "error", error: { type: anthropicErrorType(err), message: err.message }, ...(requestId ? { request_id: requestId } : {}) };
  }
  if (envelope === "openai") {
    return {
      error: {
        message: err.message,
        type: err.details.type ?? errorCodes[err.code].type,
        code: (err.details.extra?.code as string | undefined) ?? err.code,
        param: err.details.param ?? null,
        ...(requestId ? { request_id: requestId } : {}),
      },
    };
  }
  return {
    error: {
      code: err.code,
      message: err.message,
      ...(err.details.param ? { param: err.details.param } : {}),
      ...(err.details.extra?.issues ? { issues: err.details.extra.issues } : {}),
      ...(requestId ? { requestId } : {}),
    },
  };
}

export function errorResponse(err: AppError, envelope: Envelope, requestId?: string): Response {
  const headers = new Headers({ "content-type": "application/json", ...err.details.headers });
  if (requestId) headers.set("x-request-id", requestId);
  return new Response(JSON.stringify(errorBody(err, envelope, requestId)), { status: err.status, headers });
}
