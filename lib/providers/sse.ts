import "server-only";
import { createParser } from "eventsource-parser";
import { endedEarly, malformed } from "./errors.ts";
import type { ProviderKind } from "./schemas.ts";

export type SseEvent = { event: string | undefined; data: string };

export type SseOptions = {
  provider: ProviderKind;
  /**
   * Longest wait for the next bytes while the consumer is waiting for an event.
   * Enforced here because undici's bodyTimeout has ~1 s resolution.
   */
  idleMs: number;
  idleError: () => Error;
  /** The end-of-stream marker ([DONE], message_stop). A body that ends without one failed. */
  isTerminal: (event: SseEvent) => boolean;
  /** Maps errors thrown while reading the body (socket reset, idle timeout, abort). */
  mapError: (err: unknown) => Error;
  /** Called when the terminal event is read, before it is yielded. */
  onTerminal?: () => void;
};

// One event larger than this is not a chat chunk; refuse to buffer it.
const MAX_EVENT_CHARS = 8 * 1024 * 1024;
// After the terminal event we read on so the socket can go back to the pool,
// but only this much: anything bigger is not a well-behaved upstream.
const MAX_TRAILING_BYTES = 64 * 1024;

/**
 * Upstream server-sent events, parsed lazily: the body is read only when the
 * consumer asks for the next event and none is already parsed, so at most one
 * socket read's worth of events is ever held here.
 */
export async function* readSse(
  body: AsyncIterable<Uint8Array> & { destroy(err?: Error): unknown },
  opts: SseOptions,
): AsyncGenerator<SseEvent, void, undefined> {
  const reader = body[Symbol.asyncIterator]();
  const timed = idleReader(reader, body, opts);
  const decoder = new TextDecoder();
  const pending: SseEvent[] = [];
  let parseError: Error | undefined;
  const parser = createParser({
    onEvent: (e) => pending.push({ event: e.event, data: e.data }),
    onError: (e) => {
      // Unknown fields and bad retry values are ignorable per the SSE spec.
      if (e.type === "max-buffer-size-exceeded") parseError ??= malformed(opts.provider, "oversized event", e);
    },
    maxBufferSize: MAX_EVENT_CHARS,
  });

  let terminal = false;
  let ended = false;
  try {
    for (;;) {
      for (let event = pending.shift(); event; event = pending.shift()) {
        if (opts.isTerminal(event)) {
          terminal = true;
          opts.onTerminal?.();
        }
        yield event;
        if (terminal) return;
      }
      if (parseError) throw parseError;
      if (ended) throw endedEarly(opts.provider);

      let read: IteratorResult<Uint8Array>;
      try {
        read = await timed.next();
      } catch (err) {
        ended = true;
        throw opts.mapError(err);
      }
      if (read.done) {
        ended = true;
        parser.feed(decoder.decode());
        // A final event without its blank line still counts.
        parser.reset({ consume: true });
      } else {
        parser.feed(decoder.decode(read.value, { stream: true }));
      }
    }
  } finally {
    timed.stop();
    if (!ended) {
      if (terminal) drain(reader);
      else void reader.return?.();
    }
  }
}

/**
 * The idle clock runs only while we wait on the socket: data already buffered
 * resolves at once, so a slow consumer never looks like an idle upstream. One
 * timer serves the whole stream (re-armed per read with refresh()), not one
 * timer and one Promise.race per chunk.
 */
function idleReader(
  reader: AsyncIterator<Uint8Array>,
  body: { destroy(err?: Error): unknown },
  opts: SseOptions,
): { next(): Promise<IteratorResult<Uint8Array>>; stop(): void } {
  if (!(opts.idleMs > 0 && Number.isFinite(opts.idleMs))) return { next: () => reader.next(), stop() {} };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let waiting: ((err: Error) => void) | null = null;
  const onIdle = () => {
    const fail = waiting;
    // It fired between reads: nobody was waiting on the upstream.
    if (!fail) return;
    waiting = null;
    const err = opts.idleError();
    body.destroy(err);
    fail(err);
  };
  return {
    next() {
      const read = reader.next();
      return new Promise((resolve, reject) => {
        waiting = reject;
        if (timer) timer.refresh();
        else timer = setTimeout(onIdle, opts.idleMs);
        // After an idle timeout the losing read rejects too; settling twice is a no-op.
        read.then(
          (r) => {
            waiting = null;
            resolve(r);
          },
          (err: unknown) => {
            waiting = null;
            reject(err);
          },
        );
      });
    },
    stop() {
      clearTimeout(timer);
    },
  };
}

function drain(reader: AsyncIterator<Uint8Array>): void {
  void (async () => {
    let bytes = 0;
    try {
      for (;;) {
        const read = await reader.next();
        if (read.done) return;
        bytes += read.value.length;
        if (bytes > MAX_TRAILING_BYTES) {
          await reader.return?.();
          return;
        }
      }
    } catch {
      // The response is already complete for our purposes.
    }
  })();
}

/** Parses a data payload as JSON; a bad payload is a malformed, non-retryable upstream response. */
export function parseEventJson<T>(event: SseEvent, provider: ProviderKind): T {
  try {
    return JSON.parse(event.data) as T;
  } catch (err) {
    throw malformed(provider, `invalid JSON in stream event: ${event.data.slice(0, 120)}`, err);
  }
}
