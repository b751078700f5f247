import Link from "next/link";
import { Card, EmptyState, PageHeader } from "@/components/ui/card";
import { formatDateTime } from "@/components/ui/format";
import { Table, Td, Th } from "@/components/ui/table";
import { DeleteGlobalButton, GlobalVariableForm } from "@/components/prompts/globals-editor";
import { hasRole, requireRole, userWorkspace } from "@/lib/auth";
import { listGlobalVariables } from "@/lib/prompts";

export const metadata = { title: "Global variables · Prompts" };

export default async function GlobalVariablesPage() {
  const me = await requireRole("viewer", "page");
  const isAdmin = hasRole(me.role, "admin");
  const globals = await listGlobalVariables(userWorkspace(me));
  return (
    <>
      <p className="mb-2 text-sm">
        <Link href="/prompts" className="text-indigo-700 underline underline-offset-2 dark:text-indigo-300">Prompts</Link>
      </p>
      <PageHeader
        title="Global variables"
        description="Values every template can use as {{name}}. A request's own variables override them; a prompt's declared default wins over a global of the same name."
      />
      {isAdmin && (
        <Card title="Set a global variable" className="mb-6">
          <GlobalVariableForm />
        </Card>
      )}
      {globals.length === 0 ? (
        <EmptyState title="No global variables">{isAdmin ? "Add one above." : "An admin can add them."}</EmptyState>
      ) : (
        <Table caption="Global variables">
          <thead className="bg-slate-50 dark:bg-slate-800/50">
            <tr><Th>Name</Th><Th>Value</Th><Th>Description</Th><Th>Updated</Th>{isAdmin && <Th className="text-right">Actions</Th>}</tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {globals.map((g) => (
              <tr key={g.name}>
                <Td><code className="font-mono">{g.name}</code></Td>
                <Td><code className="font-mono text-xs">{JSON.stringify(g.value)}</code></Td>
                <Td>{g.description}</Td>
                <Td>{formatDateTime(g.updatedAt)}</Td>
                {isAdmin && <Td className="text-right"><DeleteGlobalButton name={g.name} /></Td>}
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}
