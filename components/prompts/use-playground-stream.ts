"use client";
import { useCallback, useRef, useState } from "react";
import type { PlaygroundRequest } from "@/lib/prompts/schemas";

export type StreamState = {
  status: "idle" | "running" | "done" | "error" | "stopped";
  text: string;
  error: string | null;
  completionId: string | null;
  ttftMs: number | null;
  latencyMs: number | null;
  usage: { prompt_tokens?: number; completion_tokens?: number } | null;
};

export const idleStream: StreamState = { status: "idle", text: "", error: null, completionId: null, ttftMs: null, latencyMs: null, usage: null };

type Update = (fn: (s: StreamState) => StreamState) => void;

/**
 * One playground request, its Server-Sent Events applied to a state through
 * `update` as they arrive. Never throws: a failure or an abort ends in the state.
 */
export async function streamPlayground(body: PlaygroundRequest, signal: AbortSignal, update: Update): Promise<void> {
  const started = performance.now();
  update(() => ({ ...idleStream, status: "running" }));
  try {
    const res = await fetch("/api/console/playground", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal,
    });
    const completionId = res.headers.get("x-promptgate-completion-id");
    if (!res.ok || !res.body) {
      const err = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
      update((s) => ({ ...s, status: "error", completionId, error: err?.error?.message ?? `Request failed with status ${res.status}` }));
      return;
    }
    update((s) => ({ ...s, completionId }));
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut: number;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = frame.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
        if (!data) continue;
        if (data === "[DONE]") {
          update((s) => ({ ...s, status: "done", latencyMs: Math.round(performance.now() - started) }));
          continue;
        }
        const chunk = JSON.parse(data) as {
          error?: { message: string };
          usage?: StreamState["usage"];
          choices?: { delta?: { content?: string | null } }[];
        };
        if (chunk.error) {
          update((s) => ({ ...s, status: "error", error: chunk.error!.message }));
          continue;
        }
        if (chunk.usage) update((s) => ({ ...s, usage: chunk.usage ?? null }));
        const delta = chunk.choices?.map((c) => c.delta?.content ?? "").join("") ?? "";
        if (delta) {
          update((s) => ({ ...s, text: s.text + delta, ttftMs: s.ttftMs ?? Math.round(performance.now() - started) }));
        }
      }
    }
    update((s) => (s.status === "running" ? { ...s, status: "error", error: "The stream ended without finishing" } : s));
  } catch (e) {
    if (signal.aborted) update((s) => ({ ...s, status: "stopped", latencyMs: Math.round(performance.now() - started) }));
    else update((s) => ({ ...s, status: "error", error: e instanceof Error ? e.message : String(e) }));
  }
}

/** Runs one playground request and exposes its text as it streams in (Server-Sent Events). */
export function usePlaygroundStream() {
  const [state, setState] = useState<StreamState>(idleStream);
  const abort = useRef<AbortController | null>(null);

  const run = useCallback(async (body: PlaygroundRequest) => {
    abort.current?.abort();
    const ctrl = new AbortController();
    abort.current = ctrl;
    await streamPlayground(body, ctrl.signal, setState);
  }, []);

  const stop = useCallback(() => abort.current?.abort(), []);
  return { state, run, stop };
}

/**
 * Several playground requests at once, each its own request and stream (the
 * compare view's columns): one slow column never holds the others back.
 */
export function usePlaygroundStreams() {
  const [states, setStates] = useState<StreamState[]>([]);
  const aborts = useRef<AbortController[]>([]);
  const generation = useRef(0);

  const runAll = useCallback(async (bodies: PlaygroundRequest[]) => {
    aborts.current.forEach((a) => a.abort());
    const gen = ++generation.current;
    const ctrls = bodies.map(() => new AbortController());
    aborts.current = ctrls;
    setStates(bodies.map(() => ({ ...idleStream, status: "running" })));
    // A late event of an earlier run must not land in this run's columns.
    const updater = (i: number): Update => (fn) => {
      if (generation.current === gen) setStates((all) => all.map((s, j) => (j === i ? fn(s) : s)));
    };
    await Promise.all(bodies.map((body, i) => streamPlayground(body, ctrls[i]!.signal, updater(i))));
  }, []);

  const stop = useCallback(() => aborts.current.forEach((a) => a.abort()), []);
  /** Forgets the results, e.g. when the columns change. */
  const reset = useCallback(() => {
    aborts.current.forEach((a) => a.abort());
    generation.current++;
    setStates([]);
  }, []);
  return { states, runAll, stop, reset };
}
