import Link from "next/link";
import { notFound } from "next/navigation";
import { AccountHealthDetailView } from "@/components/accounts/health-detail";
import { accountHealthDetail } from "@/lib/accounts";
import { hasRole, requireRole } from "@/lib/auth";

export const metadata = { title: "Account health" };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export default async function AccountHealthPage({ params }: { params: Promise<{ id: string }> }) {
  const me = await requireRole("viewer", "page");
  const { id } = await params;
  if (!UUID.test(id)) notFound();
  const detail = await accountHealthDetail(id).catch((e: unknown) => {
    if (e instanceof Error && e.message === "Account not found") notFound();
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
      <AccountHealthDetailView initial={detail} canEdit={hasRole(me.role, "admin")} />
    </>
  );
}
