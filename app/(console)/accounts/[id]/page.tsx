import Link from "next/link";
import { notFound } from "next/navigation";
import { AccountHealthDetailView } from "@/components/accounts/health-detail";
import { accountHealthDetail } from "@/lib/accounts";
import { requireRole } from "@/lib/auth";

export const metadata = { title: "Account health" };

export default async function AccountHealthPage({ params }: { params: Promise<{ id: string }> }) {
  const me = await requireRole("viewer", "page");
  const { id } = await params;
  const detail = await accountHealthDetail(id).catch((e: unknown) => {
    if ((e as { status?: number })?.status === 404) notFound();
    throw e;
  });
  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm">
        <Link href="/accounts" className="text-indigo-700 underline underline-offset-2 dark:text-indigo-300">
          Accounts
        </Link>
        <span aria-hidden> / </span>
        <span>{detail.account.name}</span>
      </nav>
      <AccountHealthDetailView initial={detail} canEdit={me.instanceAdmin === true} />
    </>
  );
}
