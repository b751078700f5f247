"use client";
import { useQueryClient } from "@tanstack/react-query";
import { recordFeedbackAction } from "@/app/(console)/experiments/actions";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { useActionForm } from "@/components/ui/use-action-form";

/** Records feedback on one completion by hand (audited); the same rules as POST /api/feedback. */
export function FeedbackForm({ experimentId, defaultMetric }: { experimentId?: string; defaultMetric: string }) {
  const queryClient = useQueryClient();
  const { pending, done, submit, fieldError, formError } = useActionForm(recordFeedbackAction, {
    done: (feedback) => `Recorded ${feedback.name} = ${feedback.value}`,
    reset: true,
    onSuccess: async () => {
      if (experimentId) await queryClient.invalidateQueries({ queryKey: ["experiment-results", experimentId] });
    },
  });
  // One line answers the last submit: what was recorded, or why not (unless a field shows it).
  const outcome = done ?? formError;
  return (
    <form
      aria-label="Record feedback by hand"
      className="grid gap-3 sm:grid-cols-5 sm:items-end"
      onSubmit={(e) => {
        e.preventDefault();
        const fd = new FormData(e.currentTarget);
        const comment = String(fd.get("comment") ?? "").trim();
        submit(e.currentTarget, {
          completion_id: String(fd.get("completion_id") ?? ""),
          name: String(fd.get("name") ?? ""),
          value: Number(fd.get("value")),
          ...(comment ? { comment } : {}),
        });
      }}
    >
      <TextField label="Completion id" name="completion_id" required placeholder="chatcmpl-…" className="sm:col-span-2" error={fieldError("completion_id")} />
      <TextField label="Metric" name="name" required defaultValue={defaultMetric} error={fieldError("name")} />
      <TextField label="Value" name="value" type="number" step="any" required hint="thumbs/conversion: 1 or 0" error={fieldError("value")} />
      <TextField label="Comment (optional)" name="comment" />
      <Button type="submit" disabled={pending} className="sm:col-span-1">{pending ? "Saving…" : "Record feedback"}</Button>
      {outcome && (
        <p role={done ? "status" : "alert"} className={`text-sm sm:col-span-5 ${done ? "text-emerald-800 dark:text-emerald-300" : "text-red-700 dark:text-red-400"}`}>
          {outcome}
        </p>
      )}
    </form>
  );
}
