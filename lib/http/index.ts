import "server-only";
// The HTTP layer: the route wrapper (auth, parsing, request id, error mapping,
// logging), method dispatch and body reading. The error model, JSON responses
// and SSE framing live in lib/core.
export { apiRoute, methods, bearerToken, type AuthMode, type RouteContext, type RouteHandler } from "./route";
export { readJsonBody } from "./body";
export { idParams, nameParams } from "./params";
