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
  try {
    return JSON.parse(text);
  } catch (e) {
    const detail = e instanceof SyntaxError ? `: ${e.message}` : "";
    throw new AppError("invalid_json", `Request body is not valid JSON${detail}`);
  }
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
