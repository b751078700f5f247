"use client";
import { useId, useState } from "react";
import { TextField } from "@/components/ui/field";
import { requiredSampleSize } from "@/lib/experiments/schemas";
import { count, isNum } from "./format";

/**
 * Fixed-horizon sample size per variant for a chosen minimum detectable effect — the same
 * function the server uses (lib/experiments/stats is pure and runs in the browser).
 */
export function SampleSizeCalculator(props: {
  kind: "binary" | "continuous";
  baseline: number | null;
  sd: number | null;
  defaultMde: number;
  perVariantSoFar: number;
  variants: number;
}) {
  const [baseline, setBaseline] = useState(isNum(props.baseline) ? String(+(props.kind === "binary" ? props.baseline * 100 : props.baseline).toFixed(2)) : props.kind === "binary" ? "50" : "3");
  const [sd, setSd] = useState(isNum(props.sd) && props.sd > 0 ? String(+props.sd.toFixed(3)) : "1");
  const [mde, setMde] = useState(String(+(props.defaultMde * 100).toFixed(2)));
  const [power, setPower] = useState("80");
  const outId = useId();
  const n = requiredSampleSize(props.kind, {
    baseline: props.kind === "binary" ? Number(baseline) / 100 : Number(baseline),
    mde: Number(mde) / 100,
    standardDeviation: Number(sd),
    power: Number(power) / 100,
    alpha: 0.05,
  });
  return (
    <form aria-label="Sample size calculator" className="space-y-3" onSubmit={(e) => e.preventDefault()}>
      <div className="grid gap-3 sm:grid-cols-4">
        <TextField label={props.kind === "binary" ? "Baseline rate (%)" : "Baseline mean"} type="number" step="any" value={baseline} onChange={(e) => setBaseline(e.target.value)} aria-controls={outId} />
        {props.kind === "continuous" && <TextField label="Standard deviation" type="number" step="any" min="0" value={sd} onChange={(e) => setSd(e.target.value)} aria-controls={outId} />}
        <TextField label="Minimum detectable effect (relative %)" type="number" step="any" value={mde} onChange={(e) => setMde(e.target.value)} aria-controls={outId} />
        <TextField label="Power (%)" type="number" min="50" max="99" step="1" value={power} onChange={(e) => setPower(e.target.value)} aria-controls={outId} />
      </div>
      <p id={outId} role="status" aria-live="polite" className="text-sm" data-testid="sample-size">
        {n === null ? (
          "These inputs do not define a test (a rate must stay between 0% and 100%, and the effect must not be 0)."
        ) : (
          <>
            <strong>{count(n)}</strong> rated completions per variant (<strong>{count(n * props.variants)}</strong> in all) to detect a {mde}% relative change with {power}% power at α = 5% (two-sided, fixed horizon). So far: {count(props.perVariantSoFar)} per variant in the control.
            {" "}The always-valid test, which lets you look at any time, needs about 1.8× this for the same 80% chance of a verdict (in simulation at α = 5%, τ = 0.1 SD); half of such experiments stop before 1.3×.
          </>
        )}
      </p>
    </form>
  );
}
