import { Badge } from "@/components/ui/badge";
import { Card, PageHeader } from "@/components/ui/card";
import { Table, Td, Th } from "@/components/ui/table";
import { CreateWorkspaceForm, EditWorkspaceForm, MemberForm, RemoveMemberButton } from "@/components/workspaces/workspace-forms";
import { requireRole } from "@/lib/auth";
import { listMembers, listWorkspaces } from "@/lib/workspaces";

export const metadata = { title: "Workspaces" };

// Instance admins only: every team's workspace, its allowed models and its members with their roles.
export default async function WorkspacesPage() {
  await requireRole("instance", "page");
  const workspaces = await listWorkspaces();
  const members = await Promise.all(workspaces.map((w) => listMembers(w.id)));
  return (
    <>
      <PageHeader title="Workspaces" description="Each team's prompts, keys, experiments and usage live in its own workspace. Members have a role per workspace." />
      <Card title="Create a workspace" className="mb-6">
        <CreateWorkspaceForm />
      </Card>
      {workspaces.map((w, i) => (
        <Card key={w.id} title={`${w.name} · ${w.slug}`} className="mb-6">
          <div data-testid={`workspace-${w.slug}`} className="grid gap-4">
            <EditWorkspaceForm workspace={{ id: w.id, name: w.name, allowedModels: w.allowedModels }} />
            <Table caption={`Members of ${w.name}`}>
              <thead className="bg-slate-50 dark:bg-slate-800/50">
                <tr>
                  <Th>Member</Th>
                  <Th>Role</Th>
                  <Th className="text-right">Actions</Th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
                {members[i]!.map((m) => (
                  <tr key={m.userId}>
                    <Td>{m.name} &lt;{m.email}&gt; {m.instanceAdmin && <Badge tone="indigo">instance admin</Badge>}</Td>
                    <Td><Badge tone={m.role === "admin" ? "indigo" : m.role === "editor" ? "blue" : "gray"}>{m.role}</Badge></Td>
                    <Td className="text-right"><RemoveMemberButton workspaceId={w.id} email={m.email} /></Td>
                  </tr>
                ))}
              </tbody>
            </Table>
            <MemberForm workspaceId={w.id} />
          </div>
        </Card>
      ))}
    </>
  );
}
