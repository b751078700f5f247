import { Badge } from "@/components/ui/badge";
import { Table, Td, Th } from "@/components/ui/table";
import type { ExperimentResults } from "@/lib/experiments/schemas";
import { count, interval, metricValue, pct, pts, pValue, signed, signedPct } from "./format";

/** Each variant's primary metric against the control, with both tests' p-values, and how to read them. */
export function ComparisonTable({ results }: { results: ExperimentResults }) {
  const { primary, variants } = results;
  const kind = primary.kind;
  const byVariant = new Map(primary.comparisons.map((c) => [c.variant, c]));
  return (
    <>
      <Table caption={`Primary metric: ${primary.metric}`}>
        <thead className="bg-slate-50 dark:bg-slate-800/50">
          <tr>
            <Th>Variant</Th>
            <Th className="text-right">Rated</Th>
            <Th>{kind === "binary" ? "Rate" : "Mean"} (95% CI)</Th>
            <Th>Absolute lift (CI)</Th>
            <Th>Relative lift (CI)</Th>
            <Th>p-value</Th>
            <Th>Always-valid p</Th>
            <Th>P(best)</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {variants.map((v) => {
            const m = v.metrics.find((x) => x.name === primary.metric)!;
            const c = byVariant.get(v.name);
            return (
              <tr key={v.name} data-testid={`primary-row-${v.name}`}>
                <Td className="font-medium">
                  {v.name} <span className="text-xs text-slate-600 dark:text-slate-400">v{v.promptVersion}</span> {v.isControl && <Badge>control</Badge>}
                </Td>
                <Td className="text-right tabular-nums">{count(m.n)}</Td>
                <Td className="tabular-nums">
                  <strong data-testid={`primary-mean-${v.name}`}>{metricValue(m.mean, kind)}</strong>
                  <span className="block text-xs text-slate-600 dark:text-slate-400">{interval(m.interval.lower, m.interval.upper, kind)}</span>
                </Td>
                <Td className="tabular-nums">
                  {c ? (
                    <>
                      {kind === "binary" ? pts(c.absoluteLift.estimate) : signed(c.absoluteLift.estimate)}
                      <span className="block text-xs text-slate-600 dark:text-slate-400">{interval(c.absoluteLift.lower, c.absoluteLift.upper, kind === "binary" ? "pts" : "diff")}</span>
                    </>
                  ) : (
                    "—"
                  )}
                </Td>
                <Td className="tabular-nums">
                  {c ? (
                    <>
                      {signedPct(c.relativeLift.estimate)}
                      <span className="block text-xs text-slate-600 dark:text-slate-400">{interval(c.relativeLift.lower, c.relativeLift.upper, "lift")}</span>
                    </>
                  ) : (
                    "—"
                  )}
                </Td>
                <Td className="tabular-nums">{c ? <span title={c.test}>{pValue(c.pValue)}</span> : "—"}</Td>
                <Td className="tabular-nums">{c ? pValue(c.alwaysValidPValue) : "—"}</Td>
                <Td className="tabular-nums">
                  <span data-testid={`pbest-${v.name}`}>{pct(primary.probabilityBest[v.name])}</span>
                </Td>
              </tr>
            );
          })}
        </tbody>
      </Table>
      <details className="text-xs text-slate-700 dark:text-slate-300">
        <summary className="cursor-pointer font-medium">How to read these numbers</summary>
        <ul className="mt-2 list-disc space-y-1 pl-5">
          <li>
            <strong>p-value</strong> is the fixed-horizon {kind === "binary" ? "two-proportion z-test" : "Welch's t-test"}: valid only if read once, at a sample size chosen in advance. Checking it
            repeatedly and stopping when it dips below 0.05 inflates false positives (in our simulation of 20 looks, to about 24%).
          </li>
          <li>
            <strong>Always-valid p</strong> and the verdict come from a mixture sequential probability ratio test (mSPRT, normal mixture with τ = {primary.mixingTau} standard deviations): its
            false-positive rate stays at α however often anyone looks. The verdict is “significant” when it falls to α, and “no detectable difference” once its always-valid interval excludes
            the minimum detectable effect in both directions.
          </li>
          <li>
            Intervals: Wilson for rates, t for means, Newcombe for differences of rates, Welch for differences of means, and the delta method for relative lift.
            {primary.comparisons.length > 1 && ` With ${primary.comparisons.length} treatments, α is split among them (Bonferroni): each comparison is judged at ${pct(primary.comparisons[0]!.alpha, 2)}.`}
          </li>
          <li>
            <strong>P(best)</strong>: the posterior probability that each variant has the best true {primary.metric} ({kind === "binary" ? "Beta(1,1) prior, Beta-Binomial" : "normal posterior"}; 20,000
            Monte Carlo draws with a fixed seed).
          </li>
          <li>Each rated completion counts once; a subject who rates many completions weighs more than one who rates few.</li>
        </ul>
      </details>
    </>
  );
}
