import Link from "next/link";
import { Card, PageHeader } from "@/components/ui/card";
import { requireRole } from "@/lib/auth";
import { consoleSummary } from "@/lib/users";

export const metadata = { title: "Overview" };

export default async function OverviewPage() {
  const user = await requireRole("viewer", "page");
  const s = await consoleSummary();
  const stats = [
    { label: "Users", value: s.users, href: "/users" },
    { label: "Active API keys", value: s.activeKeys, href: "/keys" },
    { label: "Audit entries (24 h)", value: s.audit24h, href: "/audit" },
  ];
  return (
    <>
      <PageHeader title="Overview" description={`Welcome back, ${user.name}.`} />
      <div className="grid gap-4 sm:grid-cols-3">
        {stats.map((st) => (
          <Card key={st.label}>
            <p className="text-sm text-slate-600 dark:text-slate-400">{st.label}</p>
            <p className="mt-1 text-3xl font-semibold tabular-nums">{st.value}</p>
            {user.role === "admin" && (
              <Link href={st.href} className="mt-2 inline-block text-sm text-indigo-700 underline dark:text-indigo-300">
                View {st.label.toLowerCase()}
              </Link>
            )}
          </Card>
        ))}
      </div>
      <Card title="Traffic" className="mt-6">
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Token, cost and latency charts appear here once the gateway has served requests. The completion API lives at{" "}
          <code className="font-mono">/api/v1/chat/completions</code>.
        </p>
      </Card>
    </>
  );
}
