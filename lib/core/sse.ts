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

/** Several named events as one frame (a dialect whose one step is more than one event, like Anthropic's). */
export function sseEvents(events: readonly (readonly [event: string, data: unknown])[]): Uint8Array {
  let s = "";
  for (const [event, data] of events) s += `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  return encoder.encode(s);
}

/**
 * An event relayed as the upstream sent it (a native passthrough): its data is
 * not parsed again. A data with line breaks becomes one `data:` line per line,
 * which a client's parser joins back with "\n".
 */
export function sseRaw(event: string | undefined, data: string): Uint8Array {
  const head = event ? `event: ${event}\n` : "";
  return encoder.encode(`${head}data: ${data.includes("\n") ? data.split(/\r?\n/).join("\ndata: ") : data}\n\n`);
}

export const SSE_DONE = encoder.encode("data: [DONE]\n\n");

/** The last frame of a stream that failed after it started: an error, never [DONE]. */
export function sseError(error: { message: string; type: string; code: string; param?: string | null }): Uint8Array {
  return sseData({ error: { param: null, ...error } });
}

export type SseOptions<T> = {
  headers: Record<string, string>;
  /** One item's frame; null sends nothing for it (the next item is read at once). */
  encode(item: T): Uint8Array | null;
  /** The last frame of a stream that ended cleanly (OpenAI's [DONE]); none when omitted. */
  end?: Uint8Array;
  /** The last frame of a stream that failed after it started: never the clean end. */
  error(err: unknown): Uint8Array;
};

export type SseStream = {
  response: Response;
  /** Ends the stream now with `frame` (the shutdown deadline), whether or not the client is reading. */
  interrupt(frame: Uint8Array): void;
};

/**
 * The one Server-Sent Events response: items are pulled from `items` only when
 * the client has taken the previous frame (highWaterMark 1, so nothing is
 * buffered beyond what a filter holds back), and a client that goes away
 * returns the iterator, which releases the upstream.
 */
export function sseStream<T>(items: AsyncIterator<T>, o: SseOptions<T>): SseStream {
  let ctrl: ReadableStreamDefaultController<Uint8Array> | undefined;
  let closed = false;
  const close = (last?: Uint8Array) => {
    if (closed) return;
    closed = true;
    try {
      if (last) ctrl?.enqueue(last);
      ctrl?.close();
    } catch {}
  };
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        ctrl = controller;
      },
      async pull(controller) {
        try {
          // Loop until one frame is enqueued: a pull that enqueues nothing would stall the reader.
          for (;;) {
            const r = await items.next();
            if (closed) return;
            if (r.done) return close(o.end);
            const frame = o.encode(r.value);
            if (frame) return controller.enqueue(frame);
          }
        } catch (err) {
          close(o.error(err));
        }
      },
      async cancel() {
        closed = true;
        await items.return?.();
      },
    },
    { highWaterMark: 1 },
  );
  return {
    response: new Response(body, { status: 200, headers: { ...SSE_HEADERS, ...o.headers } }),
    interrupt(frame) {
      close(frame);
      void items.return?.();
    },
  };
}
