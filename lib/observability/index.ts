import "server-only";
export { logger, createLogger, redactPaths, type Logger } from "./logger";
export { readiness, type Readiness } from "./health";
export { trackStream, isDraining, activeStreams, onShutdown, installShutdown } from "./lifecycle";
