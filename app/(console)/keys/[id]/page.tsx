import Link from "next/link";
import { notFound } from "next/navigation";
import { Badge } from "@/components/ui/badge";
import { Card, PageHeader } from "@/components/ui/card";
import { KeyFilterForm } from "@/components/keys/key-filter-form";
import { KeySigningPanel } from "@/components/keys/key-signing-panel";
import { KeyCacheToggle } from "@/components/keys/key-cache-toggle";
import { KeyLoggingForm } from "@/components/keys/key-logging-form";
import { keyStatus, getApiKey, requireRole, signingEnabled, userWorkspace } from "@/lib/auth";
import { getKeyPolicy } from "@/lib/filters";

export const metadata = { title: "API key security" };

export default async function KeySecurityPage({ params }: { params: Promise<{ id: string }> }) {
  const me = await requireRole("admin", "page");
  const { id } = await params;
  const key = await getApiKey(userWorkspace(me), id);
  if (!key) notFound();
  const [policy, signing] = await Promise.all([getKeyPolicy(id), signingEnabled(id)]);
  return (
    <>
      <p className="mb-2 text-sm">
        <Link href="/keys" className="text-indigo-700 underline dark:text-indigo-300">
          ← API keys
        </Link>
      </p>
      <PageHeader
        title={`Key security: ${key.name}`}
        description="Content filters mask sensitive words and personal data in this key's responses (also when a value is split across streamed chunks), and can mask or refuse requests."
        actions={<Badge tone={keyStatus(key) === "active" ? "green" : "red"}>{keyStatus(key)}</Badge>}
      />
      <Card title="Content filters" className="mb-6">
        <KeyFilterForm keyId={key.id} initial={policy.filters} />
      </Card>
      <Card title="Request signing" className="mb-6">
        <KeySigningPanel keyId={key.id} enabled={signing} />
      </Card>
      <Card title="Request logging" className="mb-6" actions={<Link href={`/keys/${key.id}/logs`} className="text-sm text-indigo-700 underline dark:text-indigo-300">View logs</Link>}>
        <KeyLoggingForm keyId={key.id} enabled={policy.logRequests} retentionDays={policy.logRetentionDays} />
        <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">
          Emails, phone numbers, card numbers, IBANs, IPv4 addresses and API-key-like secrets (and this key&apos;s own filter terms) are masked before anything is stored. Logs stay out of CSV exports unless an admin asks for them.
        </p>
      </Card>
      <Card title="Response cache" className="mb-6">
        <KeyCacheToggle keyId={key.id} enabled={key.cacheEnabled} />
      </Card>
    </>
  );
}
