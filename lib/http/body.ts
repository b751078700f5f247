import "server-only";
import { AppError } from "@/lib/core";

/** Reads a JSON body with a hard byte limit, without trusting Content-Length alone. */
export async function readJsonBody(req: Request, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  if (!req.body) throw new AppError("invalid_json", "Request body is empty; expected a JSON object");
  // With a Content-Length within the limit, Node's HTTP parser ends the body at
  // that length, so one arrayBuffer() read is safe (and the cheapest); a chunked
  // body has no declared size and is counted as it arrives.
  const bytes = Number.isFinite(declared) ? new Uint8Array(await req.arrayBuffer()) : await readLimited(req.body, maxBytes);
  if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes);
  if (bytes.byteLength === 0) throw new AppError("invalid_json", "Request body is empty; expected a JSON object");
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new AppError("invalid_json", "Request body is not valid UTF-8");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const detail = e instanceof SyntaxError ? `: ${e.message}` : "";
    throw new AppError("invalid_json", `Request body is not valid JSON${detail}`);
  }
  const tooDeep = tooDeepAt(value, MAX_JSON_DEPTH);
  if (tooDeep) {
    const param = nestingParam(tooDeep);
    throw new AppError("validation_error", `Request body nests deeper than ${MAX_JSON_DEPTH} levels${param ? ` in '${param}'` : ""}`, {
      param, extra: { code: "nesting_too_deep" },
    });
  }
  return value;
}

/**
 * The deepest nesting of objects and arrays a body may have; the root is level
 * 1. JSON.parse takes any depth, but code after it recurses (zod, the upstream
 * adapters' JSON.stringify, the storable cleaner) and ran out of stack on a
 * passed-through field 5,000 levels deep (faults #14.2). No API we speak needs
 * more than a dozen levels; OpenAI caps structured-output schemas at 10.
 */
export const MAX_JSON_DEPTH = 64;

type PathKey = string | number;

/** The path to the first container deeper than `max`, or null. Iterative, so any depth is safe. */
function tooDeepAt(root: unknown, max: number): PathKey[] | null {
  if (root === null || typeof root !== "object") return null;
  // Depth-first with explicit stacks; path[d] is the key of the level-(d + 2) container being walked.
  const values: object[] = [root];
  const levels: number[] = [1];
  const keys: PathKey[] = [""];
  const path: PathKey[] = [];
  while (values.length > 0) {
    const value = values.pop()!;
    const level = levels.pop()!;
    const key = keys.pop()!;
    if (level > 1) {
      path.length = level - 2;
      path.push(key);
    }
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        const child: unknown = value[i];
        if (child === null || typeof child !== "object") continue;
        if (level === max) return [...path, i];
        values.push(child);
        levels.push(level + 1);
        keys.push(i);
      }
    } else {
      for (const k in value) {
        const child: unknown = (value as Record<string, unknown>)[k];
        if (child === null || typeof child !== "object") continue;
        if (level === max) return [...path, k];
        values.push(child);
        levels.push(level + 1);
        keys.push(k);
      }
    }
  }
  return null;
}

/**
 * Names the field where runaway nesting starts: the path to the too-deep
 * container less its trailing run of one repeated key (`extra.0.0.0…` and
 * `extra.a.a.a…` are both `extra`), shortened so a hostile key is not echoed.
 */
function nestingParam(path: PathKey[]): string | null {
  let end = path.length - 1;
  while (end > 0 && path[end - 1] === path[path.length - 1]) end--;
  const field = path.slice(0, Math.min(end, 16)).join(".");
  if (!field) return null;
  return field.length > 200 ? `${field.slice(0, 200)}…` : field;
}

// One decoder for every request: decode() without { stream } starts afresh each call.
const utf8 = new TextDecoder("utf-8", { fatal: true });

async function readLimited(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    parts.push(value);
  }
  return Buffer.concat(parts);
}

const tooLarge = (max: number) =>
  new AppError("payload_too_large", `Request body exceeds the limit of ${max} bytes`);

/** Query string as a plain object; repeated keys become arrays. */
export function queryObject(url: URL): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}
