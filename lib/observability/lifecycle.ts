import "server-only";
import { logger } from "./logger";

// Process lifecycle: readiness, in-flight streams and the shutdown sequence.
// With NEXT_MANUAL_SIG_HANDLE=1 (set by `npm start`) we own SIGTERM: readiness
// turns 503 at once, in-flight streams get up to SHUTDOWN_DEADLINE_MS to finish,
// then registered hooks run (usage flush first) and the process exits. Without
// it, Next's own handler closes the server, and we make its final exit wait for
// the hooks.

type Hook = { name: string; order: number; run: () => Promise<void> };
type State = { draining: boolean; streams: number; hooks: Hook[]; installed: boolean; streamWaiters: (() => void)[] };
const g = globalThis as typeof globalThis & { __pgLifecycle?: State };
const state: State = (g.__pgLifecycle ??= { draining: false, streams: 0, hooks: [], installed: false, streamWaiters: [] });

export const isDraining = () => state.draining;
export const activeStreams = () => state.streams;

/** Counts a stream as in flight until the returned function is called (idempotent). */
export function trackStream(): () => void {
  state.streams++;
  let done = false;
  return () => {
    if (done) return;
    done = true;
    state.streams--;
    if (state.streams === 0) state.streamWaiters.splice(0).forEach((w) => w());
  };
}

/** Runs at shutdown in ascending `order` (lower first). */
export function onShutdown(name: string, run: () => Promise<void>, order = 50): void {
  if (state.hooks.some((h) => h.name === name)) return;
  state.hooks.push({ name, order, run });
}

async function runHooks(): Promise<void> {
  for (const h of [...state.hooks].sort((a, b) => a.order - b.order)) {
    try {
      await Promise.race([h.run(), new Promise((_, rej) => setTimeout(() => rej(new Error("timed out")), 10_000).unref())]);
    } catch (err) {
      logger.error({ err: String(err), hook: h.name }, "shutdown hook failed");
    }
  }
}

function waitForStreams(deadlineMs: number): Promise<void> {
  if (state.streams === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, deadlineMs);
    state.streamWaiters.push(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

export function installShutdown(): void {
  if (state.installed) return;
  state.installed = true;
  const deadline = Number(process.env.SHUTDOWN_DEADLINE_MS ?? 30_000);
  if (process.env.NEXT_MANUAL_SIG_HANDLE) {
    let started = false;
    const shutdown = async (signal: string) => {
      if (started) return;
      started = true;
      state.draining = true;
      logger.info({ signal, streams: state.streams }, "shutting down: draining");
      await waitForStreams(deadline);
      await runHooks();
      process.exit(0);
    };
    process.on("SIGTERM", () => void shutdown("SIGTERM"));
    process.on("SIGINT", () => void shutdown("SIGINT"));
    return;
  }
  // Next owns the signals: it closes the server (waiting for requests) and then
  // calls process.exit. Make that exit wait for our hooks.
  const realExit = process.exit.bind(process);
  let exiting = false;
  process.exit = ((code?: number) => {
    if (exiting) return realExit(code);
    exiting = true;
    state.draining = true;
    void runHooks().finally(() => realExit(code));
  }) as typeof process.exit;
  const markDraining = () => {
    state.draining = true;
  };
  process.once("SIGTERM", markDraining);
  process.once("SIGINT", markDraining);
}
