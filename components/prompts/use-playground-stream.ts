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

const initial: StreamState = { status: "idle", text: "", error: null, completionId: null, ttftMs: null, latencyMs: null, usage: null };

/** Runs one playground request and exposes its text as it streams in (Server-Sent Events). */
export function usePlaygroundStream() {
  const [state, setState] = useState<StreamState>(initial);
  const abort = useRef<AbortController | null>(null);

  const run = useCallback(async (body: PlaygroundRequest) => {
    abort.current?.abort();
    const ctrl = new AbortController();
    abort.current = ctrl;
    const started = performance.now();
    setState({ ...initial, status: "running" });
    try {
      const res = await fetch("/api/console/playground", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: ctrl.signal,
      });
      const completionId = res.headers.get("x-promptgate-completion-id");
      if (!res.ok || !res.body) {
        const err = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
        setState((s) => ({ ...s, status: "error", completionId, error: err?.error?.message ?? `Request failed with status ${res.status}` }));
        return;
      }
      setState((s) => ({ ...s, completionId }));
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
            setState((s) => ({ ...s, status: "done", latencyMs: Math.round(performance.now() - started) }));
            continue;
          }
          const chunk = JSON.parse(data) as {
            error?: { message: string };
            usage?: StreamState["usage"];
            choices?: { delta?: { content?: string | null } }[];
          };
          if (chunk.error) {
            setState((s) => ({ ...s, status: "error", error: chunk.error!.message }));
            continue;
          }
          if (chunk.usage) setState((s) => ({ ...s, usage: chunk.usage ?? null }));
          const delta = chunk.choices?.map((c) => c.delta?.content ?? "").join("") ?? "";
          if (delta) {
            setState((s) => ({ ...s, text: s.text + delta, ttftMs: s.ttftMs ?? Math.round(performance.now() - started) }));
          }
        }
      }
      setState((s) => (s.status === "running" ? { ...s, status: "error", error: "The stream ended without finishing" } : s));
    } catch (e) {
      if (ctrl.signal.aborted) setState((s) => ({ ...s, status: "stopped", latencyMs: Math.round(performance.now() - started) }));
      else setState((s) => ({ ...s, status: "error", error: e instanceof Error ? e.message : String(e) }));
    }
  }, []);

  const stop = useCallback(() => abort.current?.abort(), []);
  return { state, run, stop };
}
