import "server-only";
export { apiRoute, methods, json, bearerToken, type AuthMode, type RouteContext, type RouteHandler } from "./route";
export { AppError, toAppError, errorResponse, errorBody, errorCodes, notFound, forbidden, type ErrorCode, type Envelope } from "./errors";
export { readJsonBody } from "./body";
export { sseData, sseEvent, sseError, SSE_DONE, SSE_HEADERS } from "./sse";
