// The load generator: undici Pools (not global fetch, whose own overhead would
// blur the differences being measured), one keep-alive connection per
// concurrent request. Latencies are in milliseconds from performance.now().
import { Pool } from "undici";

export type ArmName = "direct" | "noop" | "proxy" | "gateway" | "portkey";

/** The API surface a target speaks: its streams are framed and terminated differently. */
export type Dialect = "chat" | "messages" | "responses";

/** Where one arm of the comparison sends its requests (`dialect` defaults to chat completions). */
export type Target = { arm: ArmName; origin: string; path: string; headers: Record<string, string>; dialect?: Dialect };

// How a stream of each non-chat dialect shows its first content, its normal end and a failure.
const STREAM_MARKS: Record<Exclude<Dialect, "chat">, { content: string; done: string; failed: string[] }> = {
  messages: { content: '"type":"content_block_delta"', done: '"type":"message_stop"', failed: ['"type":"error"'] },
  responses: { content: '"type":"response.output_text.delta"', done: '"type":"response.completed"', failed: ['"type":"response.failed"', '"type":"error"'] },
};

/** Requests sent per arm during the whole run (to check the gateway's usage events against). */
export const sentRequests: Record<ArmName, number> = { direct: 0, noop: 0, proxy: 0, gateway: 0, portkey: 0 };

export function openPool(t: Target, connections: number): Pool {
  return new Pool(t.origin, {
    connections,
    pipelining: 1,
    headersTimeout: 30_000,
    bodyTimeout: 60_000,
    keepAliveTimeout: 60_000,
    keepAliveMaxTimeout: 60_000,
  });
}

export async function closePool(pool: Pool): Promise<void> {
  await pool.close().catch(() => pool.destroy());
}

/** One non-streamed request, body read to the end. Resolves true on a 200. */
export async function sendOnce(pool: Pool, t: Target, body: string): Promise<boolean> {
  sentRequests[t.arm]++;
  try {
    const res = await pool.request({ method: "POST", path: t.path, headers: t.headers, body });
    await res.body.arrayBuffer();
    return res.statusCode === 200;
  } catch {
    return false;
  }
}

export type Sequential = { latencies: number[]; errors: number };

/** Closed loop on one connection: each request starts when the previous one has been read. */
export async function sequential(pool: Pool, t: Target, body: string, n: number, into: Sequential = { latencies: [], errors: 0 }): Promise<Sequential> {
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    const ok = await sendOnce(pool, t, body);
    const ms = performance.now() - start;
    if (ok) into.latencies.push(ms);
    else into.errors++;
  }
  return into;
}

export type Sustained = {
  concurrency: number;
  /** Responses completed inside the measurement window, per second. */
  rps: number;
  /** Failed requests during warm-up or measurement. */
  errors: number;
  latencies: number[];
};

/**
 * Closed loop at a fixed concurrency: `concurrency` connections each sending
 * back to back. The first `warmMs` are not counted (connections open, JIT).
 */
export async function sustained(t: Target, body: string, concurrency: number, warmMs: number, measureMs: number): Promise<Sustained> {
  const pool = openPool(t, concurrency);
  const begin = performance.now();
  const from = begin + warmMs;
  const until = from + measureMs;
  const latencies: number[] = [];
  let done = 0;
  let errors = 0;
  const worker = async () => {
    while (performance.now() < until) {
      const start = performance.now();
      const ok = await sendOnce(pool, t, body);
      const end = performance.now();
      if (!ok) errors++;
      else if (start >= from && end <= until) {
        done++;
        latencies.push(end - start);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await closePool(pool);
  }
  return { concurrency, rps: done / (measureMs / 1000), errors, latencies };
}

export type OpenLoop = {
  rate: number;
  /** Completion minus the time the request was scheduled for: includes any wait to be sent. */
  latencies: number[];
  /** Completion minus the moment it was actually sent. */
  service: number[];
  /** How late the generator sent requests relative to the schedule (its own jitter). */
  sendLag: number[];
  errors: number;
  /** Requests completed per second of schedule. */
  achievedRps: number;
};

/**
 * Open loop: requests are sent on a fixed schedule whatever the responses do,
 * and latency is measured from the scheduled send time, so a stall counts for
 * every request it delays (no coordinated omission).
 */
export async function openLoop(t: Target, body: string, rate: number, durationMs: number, maxConnections = 256): Promise<OpenLoop> {
  const pool = openPool(t, maxConnections);
  const total = Math.round((rate * durationMs) / 1000);
  const interval = 1000 / rate;
  const result: OpenLoop = { rate, latencies: [], service: [], sendLag: [], errors: 0, achievedRps: 0 };
  const inflight: Promise<void>[] = [];
  const start = performance.now() + 20;
  const fire = (scheduled: number) => {
    const sent = performance.now();
    result.sendLag.push(sent - scheduled);
    inflight.push(
      sendOnce(pool, t, body).then((ok) => {
        const end = performance.now();
        if (!ok) return void result.errors++;
        result.latencies.push(end - scheduled);
        result.service.push(end - sent);
      }),
    );
  };
  try {
    await new Promise<void>((resolve) => {
      let i = 0;
      const tick = () => {
        const now = performance.now();
        while (i < total && start + i * interval <= now) fire(start + i++ * interval);
        if (i >= total) return resolve();
        setTimeout(tick, Math.max(0, start + i * interval - performance.now()));
      };
      setTimeout(tick, Math.max(0, start - performance.now()));
    });
    await Promise.all(inflight);
  } finally {
    await closePool(pool);
  }
  result.achievedRps = result.latencies.length / (durationMs / 1000);
  return result;
}

export type StreamResult = {
  ok: boolean;
  /** Request sent → first complete `data:` event read (chat), or the first text delta (messages, responses). */
  ttftMs: number;
  /** Time between consecutive `data:` events as the client read them. */
  gapsMs: number[];
  events: number;
  totalMs: number;
};

/** Live count of streams whose headers have arrived and whose body has not ended. */
export type StreamGauge = { open: number; maxOpen: number };

/**
 * One streamed request. Events are timestamped when the read that completes
 * them arrives, so two events delivered in one read show up as a 0 ms gap
 * (bunching) rather than being smoothed over.
 */
export async function streamOnce(pool: Pool, t: Target, body: string, gauge?: StreamGauge): Promise<StreamResult> {
  sentRequests[t.arm]++;
  const start = performance.now();
  const fail = (): StreamResult => ({ ok: false, ttftMs: Number.NaN, gapsMs: [], events: 0, totalMs: performance.now() - start });
  let res;
  try {
    res = await pool.request({ method: "POST", path: t.path, headers: t.headers, body });
  } catch {
    return fail();
  }
  if (res.statusCode !== 200) {
    await res.body.dump().catch(() => {});
    return fail();
  }
  if (gauge) gauge.maxOpen = Math.max(gauge.maxOpen, ++gauge.open);
  const stream = res.body;
  stream.setEncoding("utf8");
  const times: number[] = [];
  let buffer = "";
  let sawDone = false;
  let errored = false;
  const marks = t.dialect && t.dialect !== "chat" ? STREAM_MARKS[t.dialect] : null;
  let firstContent = Number.NaN;
  const ended = await new Promise<boolean>((resolve) => {
    stream.on("data", (text: string) => {
      const now = performance.now();
      buffer += text;
      for (let i = buffer.indexOf("\n\n"); i >= 0; i = buffer.indexOf("\n\n")) {
        const event = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (marks) {
          // `event: <name>` (if any), then `data: {...}`: the type inside the data names the event.
          if (!event.includes("data:")) continue;
          times.push(now);
          if (Number.isNaN(firstContent) && event.includes(marks.content)) firstContent = now;
          if (event.includes(marks.done)) sawDone = true;
          if (marks.failed.some((m) => event.includes(m))) errored = true;
          continue;
        }
        if (!event.startsWith("data:")) continue;
        times.push(now);
        if (event === "data: [DONE]") sawDone = true;
        // After the stream started, a failure arrives as an error event.
        if (event.startsWith('data: {"error"')) errored = true;
      }
    });
    stream.once("end", () => resolve(true));
    stream.once("error", () => resolve(false));
  });
  if (gauge) gauge.open--;
  // Gaps between data events, not counting the [DONE] terminator: the gateway
  // sends its trailing usage chunk only once the upstream has finished, so
  // usage and [DONE] legitimately arrive together.
  const gapsMs: number[] = [];
  const dataEvents = sawDone ? times.length - 1 : times.length;
  for (let i = 1; i < dataEvents; i++) gapsMs.push(times[i]! - times[i - 1]!);
  return {
    ok: ended && sawDone && !errored,
    ttftMs: marks ? firstContent - start : times.length ? times[0]! - start : Number.NaN,
    gapsMs,
    events: times.length,
    totalMs: performance.now() - start,
  };
}

export type StreamLoop = {
  concurrency: number;
  /** Streams that ended inside the measurement window, per second. */
  streamsPerSec: number;
  /** TTFT and gaps of the streams that started inside the window. */
  ttftMs: number[];
  gapsMs: number[];
  /** Failed streams, warm-up included. */
  errors: number;
  /** Every stream sent, warm-up and tail included, and the `data:` events they delivered (for CPU per chunk). */
  streams: number;
  events: number;
};

/**
 * Closed loop of streams: `concurrency` connections each opening the next
 * stream as soon as the last one ended. The first `warmMs` are not counted.
 */
export async function streamLoop(t: Target, body: string, concurrency: number, warmMs: number, measureMs: number): Promise<StreamLoop> {
  const pool = openPool(t, concurrency);
  const from = performance.now() + warmMs;
  const until = from + measureMs;
  const out: StreamLoop = { concurrency, streamsPerSec: 0, ttftMs: [], gapsMs: [], errors: 0, streams: 0, events: 0 };
  let done = 0;
  const worker = async () => {
    while (performance.now() < until) {
      const start = performance.now();
      const r = await streamOnce(pool, t, body);
      const end = performance.now();
      out.streams++;
      out.events += r.events;
      if (!r.ok) {
        out.errors++;
        continue;
      }
      if (start >= from && start < until) {
        out.ttftMs.push(r.ttftMs);
        out.gapsMs.push(...r.gapsMs);
      }
      // Completions per second: in a closed loop at steady state, that is the rate.
      if (end >= from && end <= until) done++;
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await closePool(pool);
  }
  out.streamsPerSec = done / (measureMs / 1000);
  return out;
}

export type HeldStreams = { started: number; ok: number; failed: number; gauge: StreamGauge; rampMs: number };

/**
 * Opens `count` long streams at once (in batches, so connection set-up does
 * not overflow the listen backlog) and resolves when all have ended.
 * `onRamped` fires when every stream has been sent.
 */
export async function holdStreams(
  t: Target,
  body: string,
  count: number,
  opts: { batch: number; batchEveryMs: number; gauge: StreamGauge; onRamped?: () => void },
): Promise<HeldStreams> {
  const pool = openPool(t, count);
  const started = performance.now();
  const all: Promise<StreamResult>[] = [];
  try {
    for (let i = 0; i < count; i += opts.batch) {
      for (let j = i; j < Math.min(count, i + opts.batch); j++) all.push(streamOnce(pool, t, body, opts.gauge));
      if (i + opts.batch < count) await new Promise((r) => setTimeout(r, opts.batchEveryMs));
    }
    const rampMs = performance.now() - started;
    opts.onRamped?.();
    const results = await Promise.all(all);
    const ok = results.filter((r) => r.ok).length;
    return { started: count, ok, failed: count - ok, gauge: opts.gauge, rampMs };
  } finally {
    await closePool(pool);
  }
}
