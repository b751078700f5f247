import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { EmptyState, PageHeader } from "@/components/ui/card";
import { formatDateTime } from "@/components/ui/format";
import { Table, Td, Th } from "@/components/ui/table";
import { StatusBadge } from "@/components/experiments/status-badge";
import { hasRole, requireRole, userWorkspace } from "@/lib/auth";
import { listExperiments } from "@/lib/experiments";

export const metadata = { title: "Experiments" };

export default async function ExperimentsPage() {
  const user = await requireRole("viewer", "page");
  const experiments = await listExperiments(userWorkspace(user));
  const canEdit = hasRole(user.role, "editor");
  return (
    <>
      <PageHeader
        title="Experiments"
        description="A/B tests of prompt versions on a label. Traffic splits by weight, sticky per end user; results stay valid however often you look."
        actions={
          canEdit ? (
            <Link href="/experiments/new" className="inline-flex items-center rounded-md bg-indigo-600 px-3.5 py-2 text-sm font-medium text-white hover:bg-indigo-700">
              New experiment
            </Link>
          ) : undefined
        }
      />
      {experiments.length === 0 ? (
        <EmptyState title="No experiments yet">
          {canEdit ? "Create one to split a prompt label's traffic between versions." : "An editor can create one to compare prompt versions."}
        </EmptyState>
      ) : (
        <Table caption="Experiments">
          <thead className="bg-slate-50 dark:bg-slate-800/50">
            <tr>
              <Th>Name</Th>
              <Th>Prompt · label</Th>
              <Th>Status</Th>
              <Th>Variants</Th>
              <Th>Phase</Th>
              <Th>Primary metric</Th>
              <Th className="text-right">Requests</Th>
              <Th>Started</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {experiments.map((e) => (
              <tr key={e.id} data-testid={`experiment-row-${e.name}`}>
                <Td className="font-medium">
                  <Link href={`/experiments/${e.id}`} className="text-indigo-700 underline-offset-2 hover:underline dark:text-indigo-300">
                    {e.name}
                  </Link>{" "}
                  {e.demo && <Badge tone="blue">demo data</Badge>}
                </Td>
                <Td>
                  <code className="font-mono text-xs">{e.promptName}</code> · {e.label}
                </Td>
                <Td>
                  <StatusBadge status={e.status} />
                  {e.winnerVariantName && <span className="ml-2 text-xs text-slate-600 dark:text-slate-400">winner {e.winnerVariantName}</span>}
                </Td>
                <Td>{e.variants.join(" vs ")}</Td>
                <Td>{e.phase}</Td>
                <Td>{e.primaryMetric}</Td>
                <Td className="text-right tabular-nums">{e.requests.toLocaleString("en-US")}</Td>
                <Td>{formatDateTime(e.startedAt)}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}
