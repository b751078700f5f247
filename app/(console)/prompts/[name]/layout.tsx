import Link from "next/link";
import { notFound } from "next/navigation";
import { PageHeader } from "@/components/ui/card";
import { LabelBadge } from "@/components/prompts/label-badge";
import { PromptTabs } from "@/components/prompts/prompt-tabs";
import { requireRole, userWorkspace } from "@/lib/auth";
import { findPrompt } from "@/lib/prompts";

export async function generateMetadata({ params }: { params: Promise<{ name: string }> }) {
  return { title: `${(await params).name} · Prompts` };
}

export default async function PromptLayout({ children, params }: { children: React.ReactNode; params: Promise<{ name: string }> }) {
  const me = await requireRole("viewer", "page");
  const { name } = await params;
  const detail = await findPrompt(userWorkspace(me), name);
  if (!detail) notFound();
  return (
    <>
      <p className="mb-2 text-sm">
        <Link href="/prompts" className="text-indigo-700 underline underline-offset-2 dark:text-indigo-300">Prompts</Link>
        <span aria-hidden> / </span>
        <span>{detail.name}</span>
      </p>
      <PageHeader
        title={detail.name}
        description={detail.description || undefined}
        actions={<div className="flex flex-wrap gap-1">{detail.labels.map((l) => <LabelBadge key={l.name} name={l.name} version={l.version} />)}</div>}
      />
      <PromptTabs name={detail.name} />
      {children}
    </>
  );
}
