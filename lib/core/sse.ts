import "server-only";

// The only place that formats Server-Sent Events. One encoder for the process:
// frames are built as strings and encoded once each.
const encoder = new TextEncoder();

export const SSE_HEADERS: Record<string, string> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  connection: "keep-alive",
  "x-accel-buffering": "no",
};

export function sseData(data: unknown): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(data)}\n\n`);
}

export function sseEvent(event: string, data: unknown): Uint8Array {
  return encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

export const SSE_DONE = encoder.encode("data: [DONE]\n\n");

/** The last frame of a stream that failed after it started: an error, never [DONE]. */
export function sseError(error: { message: string; type: string; code: string; param?: string | null }): Uint8Array {
  return sseData({ error: { param: null, ...error } });
}
