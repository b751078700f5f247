import Link from "next/link";
import { EmptyState, PageHeader } from "@/components/ui/card";

export const metadata = { title: "Not allowed" };

export default async function ForbiddenPage({ searchParams }: { searchParams: Promise<{ need?: string }> }) {
  const { need } = await searchParams;
  return (
    <>
      <PageHeader title="Not allowed" />
      <EmptyState title="You do not have access to this page">
        <p>{need ? `It needs the ${need} role.` : "Your role does not include it."} Ask an admin if you need access.</p>
        <Link href="/" className="mt-3 inline-block text-indigo-700 underline dark:text-indigo-300">
          Back to the overview
        </Link>
      </EmptyState>
    </>
  );
}
