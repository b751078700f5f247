// What every layer shares. Client-safe: nothing here may import server-only code.
export { wildcardMatch } from "./wildcard";
