import { Table, Td, Th } from "@/components/ui/table";
import type { ExperimentResults } from "@/lib/experiments/schemas";
import { count, interval, isNum, metricValue, ms, pct, pValue, usd } from "./format";

/** Traffic, latency, cost and every feedback metric per variant, and the sample-ratio check behind them. */
export function VariantsTable({ results }: { results: ExperimentResults }) {
  const { variants } = results;
  return (
    <>
      <Table caption="Variants: traffic, latency, cost and every feedback metric">
        <thead className="bg-slate-50 dark:bg-slate-800/50">
          <tr>
            <Th>Variant</Th>
            <Th className="text-right">Weight</Th>
            <Th className="text-right">Requests</Th>
            <Th className="text-right">Unique subjects</Th>
            <Th className="text-right">Non-sticky</Th>
            <Th className="text-right">Error rate</Th>
            <Th className="text-right">Latency p50 / p95</Th>
            <Th className="text-right">TTFT p50</Th>
            <Th className="text-right">Tokens / request</Th>
            <Th className="text-right">Cost / request</Th>
            {results.metricNames.map((n) => (
              <Th key={n}>{n} (95% CI)</Th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {variants.map((v) => (
            <tr key={v.name} data-testid={`variant-ops-${v.name}`}>
              <Td className="font-medium">{v.name}</Td>
              <Td className="text-right tabular-nums">{v.weight}</Td>
              <Td className="text-right tabular-nums">
                <span data-testid={`requests-${v.name}`}>{count(v.requests)}</span>
              </Td>
              <Td className="text-right tabular-nums">{count(v.uniqueSubjects)}</Td>
              <Td className="text-right tabular-nums">{count(v.nonSticky)}</Td>
              <Td className="text-right tabular-nums">{pct(v.errorRate)}</Td>
              <Td className="text-right tabular-nums">
                {ms(v.latencyP50)} / {ms(v.latencyP95)}
              </Td>
              <Td className="text-right tabular-nums">{ms(v.ttftP50)}</Td>
              <Td className="text-right tabular-nums">{isNum(v.tokensPerRequest) ? v.tokensPerRequest.toFixed(1) : "—"}</Td>
              <Td className="text-right tabular-nums">{usd(v.costPerRequest)}</Td>
              {v.metrics.map((m) => (
                <Td key={m.name} className="tabular-nums">
                  {metricValue(m.mean, m.kind)}
                  <span className="block text-xs text-slate-600 dark:text-slate-400">
                    {interval(m.interval.lower, m.interval.upper, m.kind)} · n={count(m.n)}
                  </span>
                </Td>
              ))}
            </tr>
          ))}
        </tbody>
      </Table>
      <p className="text-xs text-slate-600 dark:text-slate-400">
        Sample-ratio check: χ² = {isNum(results.srm.chiSquare) ? results.srm.chiSquare.toFixed(2) : "—"}, p = {pValue(results.srm.pValue)} on subjects and non-sticky requests against the weights
        (warns below 0.001).
      </p>
    </>
  );
}
