import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { Card, PageHeader } from "@/components/ui/card";
import { formatDateTime } from "@/components/ui/format";
import { Table, Td, Th } from "@/components/ui/table";
import { DeletePriceButton, PriceForm } from "@/components/usage/price-form";
import { requireRole } from "@/lib/auth";
import { listPrices } from "@/lib/pricing";

export const metadata = { title: "Model prices" };

const tone = { current: "green", scheduled: "indigo", superseded: "gray" } as const;
const usd = (n: number | null) => (n === null ? "—" : `$${n.toFixed(n < 0.1 ? 4 : 2)}`);

export default async function PricingPage() {
  await requireRole("instance", "page");
  const prices = await listPrices();
  return (
    <>
      <PageHeader
        title="Model prices"
        description="USD per 1M tokens. Each call is priced when it is recorded, with the row in force at its time; a new price applies from its effective date and never rewrites past usage. The most specific pattern wins, then the latest date."
        actions={<Link href="/usage" className="text-sm text-indigo-700 underline dark:text-indigo-300">Back to usage</Link>}
      />
      <Card title="Add a price" className="mb-6">
        <PriceForm />
      </Card>
      <Table caption="Model prices">
        <thead className="bg-slate-50 dark:bg-slate-800/50">
          <tr>
            <Th>Model</Th>
            <Th className="text-right">Input</Th>
            <Th className="text-right">Output</Th>
            <Th className="text-right">Cached input</Th>
            <Th>Effective from</Th>
            <Th>State</Th>
            <Th className="text-right">Actions</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {prices.map((p) => (
            <tr key={p.id} data-testid={`price-row-${p.model}`}>
              <Td><code className="font-mono text-xs">{p.model}</code></Td>
              <Td className="text-right tabular-nums">{usd(p.inputPerMTok)}</Td>
              <Td className="text-right tabular-nums">{usd(p.outputPerMTok)}</Td>
              <Td className="text-right tabular-nums">{usd(p.cachedInputPerMTok)}</Td>
              <Td>{formatDateTime(p.effectiveFrom)}</Td>
              <Td><Badge tone={tone[p.state]}>{p.state}</Badge></Td>
              <Td className="text-right">{p.state === "scheduled" && <DeletePriceButton id={p.id} label={`${p.model} from ${formatDateTime(p.effectiveFrom)}`} />}</Td>
            </tr>
          ))}
        </tbody>
      </Table>
    </>
  );
}
