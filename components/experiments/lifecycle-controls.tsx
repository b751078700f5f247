"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import {
  changeWeightsAction, completeExperimentAction, deleteExperimentAction, stepExperimentAction,
} from "@/app/(console)/experiments/actions";
import { Button } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import type { ExperimentView } from "@/lib/experiments/schemas";

type Panel = "weights" | "complete" | null;

export function LifecycleControls({ experiment, suggestedWinner }: { experiment: ExperimentView; suggestedWinner: string | null }) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const [panel, setPanel] = useState<Panel>(null);
  const phase = experiment.phases.at(-1)!;
  const [weights, setWeights] = useState<Record<string, string>>(() => Object.fromEntries(phase.variants.map((v) => [v.name, String(v.weight)])));
  const [winner, setWinner] = useState(suggestedWinner ?? "");
  const [promote, setPromote] = useState(true);
  const winnerVersion = phase.variants.find((v) => v.name === winner)?.promptVersion;

  const run = (fn: () => Promise<{ ok: true } | { ok: false; error: { message: string } }>, after?: () => void) =>
    start(async () => {
      const res = await fn();
      if (!res.ok) {
        setError(res.error.message);
        return;
      }
      setError(null);
      setPanel(null);
      after?.();
      await queryClient.invalidateQueries({ queryKey: ["experiment-results", experiment.id] });
      router.refresh();
    });

  const live = experiment.status === "running" || experiment.status === "paused";
  return (
    <div className="space-y-3" data-testid="lifecycle">
      <div className="flex flex-wrap gap-2">
        {experiment.status === "draft" && (
          <>
            <Button disabled={pending} onClick={() => run(() => stepExperimentAction({ id: experiment.id, step: "start" }))}>Start experiment</Button>
            <Button variant="danger" disabled={pending} onClick={() => run(() => deleteExperimentAction(experiment.id), () => router.push("/experiments"))}>Delete draft</Button>
          </>
        )}
        {experiment.status === "running" && <Button variant="secondary" disabled={pending} onClick={() => run(() => stepExperimentAction({ id: experiment.id, step: "pause" }))}>Pause</Button>}
        {experiment.status === "paused" && <Button disabled={pending} onClick={() => run(() => stepExperimentAction({ id: experiment.id, step: "resume" }))}>Resume</Button>}
        {experiment.status !== "completed" && (
          <Button variant="secondary" aria-expanded={panel === "weights"} onClick={() => setPanel(panel === "weights" ? null : "weights")}>Change weights</Button>
        )}
        {live && (
          <Button variant="secondary" aria-expanded={panel === "complete"} onClick={() => setPanel(panel === "complete" ? null : "complete")}>Complete…</Button>
        )}
      </div>

      {panel === "weights" && (
        <form
          aria-label="Change weights"
          className="rounded-md border border-slate-200 p-3 dark:border-slate-700"
          onSubmit={(e) => {
            e.preventDefault();
            run(() => changeWeightsAction({ id: experiment.id, weights: Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, Number(v)])) }));
          }}
        >
          <p className="mb-2 text-sm text-slate-700 dark:text-slate-300">
            {experiment.status === "draft"
              ? "The draft's weights change in place."
              : `This ends phase ${phase.number} and starts phase ${phase.number + 1}: subjects are re-randomised and each phase is analysed on its own, because pooling across a weight change biases the comparison.`}
          </p>
          <div className="flex flex-wrap items-end gap-3">
            {phase.variants.map((v) => (
              <TextField key={v.name} label={`Weight of ${v.name}`} type="number" min="0" step="1" value={weights[v.name] ?? ""} onChange={(e) => setWeights({ ...weights, [v.name]: e.target.value })} className="w-32" />
            ))}
            <Button type="submit" disabled={pending}>{experiment.status === "draft" ? "Save weights" : `Start phase ${phase.number + 1}`}</Button>
          </div>
        </form>
      )}

      {panel === "complete" && (
        <form
          aria-label="Complete experiment"
          className="rounded-md border border-slate-200 p-3 dark:border-slate-700"
          onSubmit={(e) => {
            e.preventDefault();
            run(() => completeExperimentAction({ id: experiment.id, winner: winner || undefined, promote: Boolean(winner) && promote }));
          }}
        >
          <div className="flex flex-wrap items-end gap-3">
            <SelectField label="Winner" value={winner} onChange={(e) => setWinner(e.target.value)} className="w-48">
              <option value="">No winner</option>
              {phase.variants.map((v) => (
                <option key={v.name} value={v.name}>
                  {v.name} (v{v.promptVersion})
                </option>
              ))}
            </SelectField>
            <label className="flex items-center gap-2 pb-2 text-sm">
              <input type="checkbox" checked={promote && Boolean(winner)} disabled={!winner} onChange={(e) => setPromote(e.target.checked)} className="h-4 w-4" />
              Promote: move <code className="font-mono">{experiment.label}</code> to {winnerVersion ? `version ${winnerVersion}` : "the winner's version"}
            </label>
            <Button type="submit" disabled={pending}>{winner && promote ? "Complete and promote" : "Complete"}</Button>
          </div>
          <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">Completing stops the split for good. Protected labels (such as production) can only be moved by an admin.</p>
        </form>
      )}
      {error && <p role="alert" className="text-sm text-red-700 dark:text-red-400">{error}</p>}
    </div>
  );
}
