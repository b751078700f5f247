import "server-only";
// What every layer shares: the error model, the principal and its roles, SSE
// framing, JSON responses and the model-pattern matcher. Below every domain:
// lib/core imports nothing from lib/ (the boundary check enforces it).
export * from "./types";
export { AppError, toAppError, errorResponse, errorBody, anthropicErrorType, errorCodes, notFound, forbidden, databaseUnavailable, isDatabaseUnavailable, type ErrorCode, type Envelope } from "./errors";
export { sseData, sseEvent, sseEvents, sseRaw, sseError, sseStream, SSE_DONE, SSE_HEADERS, type SseOptions, type SseStream } from "./sse";
export { json, csvResponse } from "./responses";
export { DatabaseUnavailableError, isDatabaseUnreachable } from "./db-errors";
export { clientIpFrom } from "./client-ip";
