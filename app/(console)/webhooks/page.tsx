import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { Card, EmptyState, PageHeader } from "@/components/ui/card";
import { Table, Td, Th } from "@/components/ui/table";
import { CreateWebhookForm } from "@/components/webhooks/create-webhook-form";
import { requireRole } from "@/lib/auth";
import { listWebhooks } from "@/lib/webhooks";

export const metadata = { title: "Webhooks" };

export default async function WebhooksPage() {
  const me = await requireRole("admin", "page");
  const principal = { kind: "user", user: me } as const;
  const endpoints = await listWebhooks(principal);
  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Endpoints that get this workspace's events (budgets, experiments, prompts), signed Standard Webhooks style, retried with backoff for 24 hours. A Slack-format endpoint takes a Slack incoming-webhook URL as it is."
      />
      <Card title="Add an endpoint" className="mb-6">
        <CreateWebhookForm instanceAdmin={me.instanceAdmin === true} />
      </Card>
      {endpoints.length === 0 ? (
        <EmptyState title="No webhook endpoints yet">Add one above; then send it a test event from its page.</EmptyState>
      ) : (
        <Table caption="Webhook endpoints">
          <thead className="bg-slate-50 dark:bg-slate-800/50">
            <tr>
              <Th>URL</Th>
              <Th>Scope</Th>
              <Th>Events</Th>
              <Th>Format</Th>
              <Th>Status</Th>
              <Th>Deliveries</Th>
              <Th className="text-right">Manage</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {endpoints.map((e) => (
              <tr key={e.id} data-testid={`webhook-row-${e.id}`}>
                <Td>
                  <code className="break-all font-mono text-xs">{e.url}</code>
                  {e.description && <div className="text-xs text-slate-600 dark:text-slate-400">{e.description}</div>}
                </Td>
                <Td>{e.scope === "instance" ? <Badge tone="indigo">instance-wide</Badge> : <Badge>workspace</Badge>}</Td>
                <Td>
                  <div className="flex flex-wrap gap-1">
                    {e.eventTypes.map((t) => (
                      <Badge key={t}>{t}</Badge>
                    ))}
                  </div>
                </Td>
                <Td>{e.format}</Td>
                <Td>{e.enabled ? <Badge tone="green">enabled</Badge> : <Badge tone="amber">disabled</Badge>}</Td>
                <Td className="whitespace-nowrap text-xs">
                  {e.deliveries.delivered} delivered · {e.deliveries.pending} pending · {e.deliveries.failed} failed
                </Td>
                <Td className="text-right">
                  <Link href={`/webhooks/${e.id}`} className="text-sm text-indigo-700 underline dark:text-indigo-300">
                    Open<span className="sr-only"> {e.url}</span>
                  </Link>
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}
