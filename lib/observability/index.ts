import "server-only";
export { logger, redactPaths, type Logger } from "./logger";
