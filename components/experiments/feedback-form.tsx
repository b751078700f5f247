"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useState, useTransition } from "react";
import { recordFeedbackAction } from "@/app/(console)/experiments/actions";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";

/** Records feedback on one completion by hand (audited); the same rules as POST /api/feedback. */
export function FeedbackForm({ experimentId, defaultMetric }: { experimentId?: string; defaultMetric: string }) {
  const queryClient = useQueryClient();
  const [pending, start] = useTransition();
  const [result, setResult] = useState<{ ok: boolean; message: string; param?: string | null } | null>(null);
  const errorFor = (p: string) => (result && !result.ok && result.param === p ? result.message : null);
  return (
    <form
      aria-label="Record feedback by hand"
      className="grid gap-3 sm:grid-cols-5 sm:items-end"
      onSubmit={(e) => {
        e.preventDefault();
        const form = e.currentTarget;
        const fd = new FormData(form);
        const comment = String(fd.get("comment") ?? "").trim();
        start(async () => {
          const res = await recordFeedbackAction({
            completion_id: String(fd.get("completion_id") ?? ""),
            name: String(fd.get("name") ?? ""),
            value: Number(fd.get("value")),
            ...(comment ? { comment } : {}),
          });
          if (res.ok) {
            setResult({ ok: true, message: `Recorded ${res.data.name} = ${res.data.value}` });
            form.reset();
            if (experimentId) await queryClient.invalidateQueries({ queryKey: ["experiment-results", experimentId] });
          } else setResult({ ok: false, message: res.error.message, param: res.error.param });
        });
      }}
    >
      <TextField label="Completion id" name="completion_id" required placeholder="chatcmpl-…" className="sm:col-span-2" error={errorFor("completion_id")} />
      <TextField label="Metric" name="name" required defaultValue={defaultMetric} error={errorFor("name")} />
      <TextField label="Value" name="value" type="number" step="any" required hint="thumbs/conversion: 1 or 0" error={errorFor("value")} />
      <TextField label="Comment (optional)" name="comment" />
      <Button type="submit" disabled={pending} className="sm:col-span-1">{pending ? "Saving…" : "Record feedback"}</Button>
      {result && (!result.param || result.ok) && (
        <p role={result.ok ? "status" : "alert"} className={`text-sm sm:col-span-5 ${result.ok ? "text-emerald-800 dark:text-emerald-300" : "text-red-700 dark:text-red-400"}`}>
          {result.message}
        </p>
      )}
    </form>
  );
}
