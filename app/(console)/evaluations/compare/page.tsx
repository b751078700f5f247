import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { Card, EmptyState, PageHeader } from "@/components/ui/card";
import { Table, Td, Th } from "@/components/ui/table";
import { requireRole } from "@/lib/auth";
import { compareEvalRuns } from "@/lib/evals";

export const metadata = { title: "Compare evaluation runs" };

const verdictTone = { better: "green", worse: "red", "no significant difference": "gray", "not enough data": "amber" } as const;
const outcomeTone = { win: "green", loss: "red", tie: "gray", mixed: "amber", unpaired: "gray" } as const;
const num = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : "–");

export default async function ComparePage({ searchParams }: { searchParams: Promise<{ a?: string; b?: string }> }) {
  const me = await requireRole("admin", "page");
  const principal = { kind: "user", user: me } as const;
  const { a, b } = await searchParams;
  if (!a || !b) return <EmptyState title="Choose two runs">Pick a baseline and a candidate on a dataset&apos;s page.</EmptyState>;
  let cmp: Awaited<ReturnType<typeof compareEvalRuns>>;
  try {
    cmp = await compareEvalRuns(principal, a, b);
  } catch (e) {
    const status = (e as { status?: number }).status;
    if (status === 404 || status === 400) return <EmptyState title="These runs cannot be compared">{(e as Error).message}</EmptyState>;
    throw e;
  }
  const name = (r: typeof cmp.a) => (r.draft ? `${r.prompt ?? "draft"} (draft)` : `${r.prompt} v${r.promptVersion}`);
  return (
    <>
      <p className="mb-2 text-sm"><Link href={`/evaluations/datasets/${cmp.a.datasetId}`} className="text-indigo-700 underline dark:text-indigo-300">← {cmp.a.datasetName}</Link></p>
      <PageHeader
        title={`${name(cmp.b)} against ${name(cmp.a)}`}
        description={`Paired by row on ${cmp.a.datasetName} v${cmp.a.datasetVersion}. McNemar's test for pass/fail scorers, a paired t-test for judge scores; α = 5% split among the scorers.`}
      />
      <Card title="Verdict" className="mb-6">
        <ul className="space-y-2" data-testid="paired-verdict">
          {cmp.scorers.map((s) => (
            <li key={s.key} className="flex items-start gap-2 text-sm">
              <Badge tone={verdictTone[s.verdict]}>{s.verdict}</Badge>
              <span>{s.sentence}</span>
            </li>
          ))}
        </ul>
        <p className="mt-3 text-sm">
          Rows: {cmp.summary.wins} wins, {cmp.summary.losses} losses, {cmp.summary.ties} ties{cmp.summary.mixed ? `, ${cmp.summary.mixed} mixed` : ""}
          {cmp.summary.unpaired ? `, ${cmp.summary.unpaired} not scored by both` : ""}.
        </p>
      </Card>
      <Card title="Per scorer" className="mb-6">
        <Table caption="Paired tests per scorer">
          <thead className="bg-slate-50 dark:bg-slate-800/50">
            <tr><Th>Scorer</Th><Th>Pairs</Th><Th>Wins</Th><Th>Losses</Th><Th>Ties</Th><Th>B − A</Th><Th>Interval</Th><Th>Test</Th><Th>p</Th></tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {cmp.scorers.map((s) => (
              <tr key={s.key}>
                <Td>{s.key}</Td><Td>{s.pairs}</Td><Td>{s.wins}</Td><Td>{s.losses}</Td><Td>{s.ties}</Td>
                <Td>{num(s.difference.estimate)}</Td><Td>{num(s.difference.lower)} – {num(s.difference.upper)}</Td>
                <Td>{s.test.name}</Td><Td>{num(s.test.pValue, 4)}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      </Card>
      <Card title="Rows">
        <Table caption="Per-row outcome of B against A">
          <thead className="bg-slate-50 dark:bg-slate-800/50">
            <tr><Th>#</Th><Th>Outcome</Th>{cmp.scorers.map((s) => <Th key={s.key}>{s.key} (A → B)</Th>)}</tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {cmp.rows.map((r) => (
              <tr key={r.index}>
                <Td>{r.index + 1}</Td>
                <Td><Badge tone={outcomeTone[r.outcome]}>{r.outcome}</Badge></Td>
                {cmp.scorers.map((s) => <Td key={s.key}>{r.a[s.key] ?? "–"} → {r.b[s.key] ?? "–"}</Td>)}
              </tr>
            ))}
          </tbody>
        </Table>
      </Card>
    </>
  );
}
