import { Badge } from "@/components/ui/badge";
import { Card, PageHeader } from "@/components/ui/card";
import { formatDateTime } from "@/components/ui/format";
import { Table, Td, Th } from "@/components/ui/table";
import { CreateUserForm } from "@/components/users/create-user-form";
import { UserRowActions } from "@/components/users/user-row-actions";
import { requireRole } from "@/lib/auth";
import { listUsers } from "@/lib/users";

export const metadata = { title: "Users" };

export default async function UsersPage() {
  const me = await requireRole("instance", "page");
  const users = await listUsers();
  return (
    <>
      <PageHeader title="Users" description="People who can sign in to the console, and what they may do." />
      <Card title="Add a user" className="mb-6">
        <CreateUserForm />
      </Card>
      <Table caption="Users">
        <thead className="bg-slate-50 dark:bg-slate-800/50">
          <tr>
            <Th>Name</Th>
            <Th>Email</Th>
            <Th>Role</Th>
            <Th>Status</Th>
            <Th>Created</Th>
            <Th className="text-right">Actions</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {users.map((u) => (
            <tr key={u.id} data-testid={`user-row-${u.email}`}>
              <Td className="font-medium">{u.name}</Td>
              <Td>{u.email}</Td>
              <Td>
                <Badge tone={u.role === "admin" ? "indigo" : u.role === "editor" ? "blue" : "gray"}>{u.role}</Badge>
              </Td>
              <Td>{u.disabled ? <Badge tone="red">disabled</Badge> : <Badge tone="green">active</Badge>}</Td>
              <Td>{formatDateTime(u.createdAt)}</Td>
              <Td className="text-right">
                <UserRowActions user={{ id: u.id, email: u.email, role: u.role, disabled: u.disabled }} isSelf={u.id === me.id} />
              </Td>
            </tr>
          ))}
        </tbody>
      </Table>
    </>
  );
}
