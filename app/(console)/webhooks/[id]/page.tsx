import Link from "next/link";
import { notFound } from "next/navigation";
import { Badge } from "@/components/ui/badge";
import { Card, EmptyState, PageHeader } from "@/components/ui/card";
import { formatDateTime } from "@/components/ui/format";
import { Table, Td, Th } from "@/components/ui/table";
import { AutoRefresh } from "@/components/webhooks/auto-refresh";
import { EndpointActions } from "@/components/webhooks/endpoint-actions";
import { RedeliverButton } from "@/components/webhooks/redeliver-button";
import { requireRole } from "@/lib/auth";
import { getWebhook, listDeliveries } from "@/lib/webhooks";

export const metadata = { title: "Webhook endpoint" };

const tone = { pending: "amber", delivered: "green", failed: "red" } as const;

export default async function WebhookPage({ params }: { params: Promise<{ id: string }> }) {
  const me = await requireRole("admin", "page");
  const principal = { kind: "user", user: me } as const;
  const { id } = await params;
  const endpoint = await getWebhook(principal, id).catch((e: unknown) => {
    if ((e as { status?: number }).status === 404 || (e as { status?: number }).status === 400) notFound();
    throw e;
  });
  const deliveries = await listDeliveries(principal, id, { limit: 100 });
  return (
    <>
      <p className="mb-2 text-sm">
        <Link href="/webhooks" className="text-indigo-700 underline dark:text-indigo-300">
          ← Webhooks
        </Link>
      </p>
      <PageHeader
        title={endpoint.description || "Webhook endpoint"}
        description={endpoint.url}
        actions={
          <span className="flex gap-2">
            {endpoint.scope === "instance" && <Badge tone="indigo">instance-wide</Badge>}
            {endpoint.enabled ? <Badge tone="green">enabled</Badge> : <Badge tone="amber">disabled</Badge>}
          </span>
        }
      />
      <Card title="Endpoint" className="mb-6">
        <p className="mb-3 text-sm">
          Format <strong>{endpoint.format}</strong>; events {endpoint.eventTypes.map((t) => <Badge key={t}>{t}</Badge>)}
        </p>
        <EndpointActions id={endpoint.id} enabled={endpoint.enabled} />
      </Card>
      <AutoRefresh active={deliveries.some((d) => d.status === "pending")} />
      <h2 className="mb-2 text-base font-semibold">Delivery log</h2>
      {deliveries.length === 0 ? (
        <EmptyState title="No deliveries yet">Events this endpoint subscribes to show here as they are sent; send a test event to try it.</EmptyState>
      ) : (
        <Table caption="Deliveries">
          <thead className="bg-slate-50 dark:bg-slate-800/50">
            <tr>
              <Th>Event</Th>
              <Th>Status</Th>
              <Th>Attempts</Th>
              <Th>Response</Th>
              <Th>Latest error</Th>
              <Th>Last attempt</Th>
              <Th>Next attempt</Th>
              <Th className="text-right">Actions</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {deliveries.map((d) => (
              <tr key={d.id} data-testid={`delivery-${d.eventType}`}>
                <Td>
                  <code className="font-mono text-xs">{d.eventType}</code>
                  <div className="font-mono text-[11px] text-slate-500">{d.eventId}</div>
                </Td>
                <Td>
                  <Badge tone={tone[d.status]}>{d.status}</Badge>
                </Td>
                <Td>{d.attempts}</Td>
                <Td>{d.responseStatus ?? "—"}</Td>
                <Td className="max-w-xs break-words text-xs">{d.lastError ?? "—"}</Td>
                <Td>{formatDateTime(d.lastAttemptAt)}</Td>
                <Td>{d.nextAttemptAt ? formatDateTime(d.nextAttemptAt) : "—"}</Td>
                <Td className="text-right">
                  <RedeliverButton id={d.id} />
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}
