import "server-only";
import type { ChatCompletionChunk, RateLimitInfo, UpstreamStream } from "./types.ts";

/**
 * An UpstreamStream over an adapter's chunk generator. Ending it early (break,
 * return, throw, or close() even before the first pull) calls `release` first:
 * if a next() is still pending, the generator cannot run its finally block
 * until that read settles, and releasing (destroying the socket, aborting the
 * simulated wait) is what settles it.
 */
export function releasingStream(
  source: AsyncGenerator<ChatCompletionChunk, void, undefined>,
  release: () => void,
  meta: { rateLimit: RateLimitInfo; usageCounted: () => boolean },
): UpstreamStream {
  const iterator: AsyncIterableIterator<ChatCompletionChunk> = {
    next: () => source.next(),
    return: (value?: unknown) => {
      release();
      return source.return(value as undefined) as Promise<IteratorResult<ChatCompletionChunk>>;
    },
    throw: (err?: unknown) => {
      release();
      return source.throw(err);
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return {
    chunks: iterator,
    rateLimit: meta.rateLimit,
    get usageCounted() {
      return meta.usageCounted();
    },
    close() {
      release();
      source.return(undefined).catch(() => {});
    },
  };
}
