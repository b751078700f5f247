import { ChangePasswordForm } from "@/components/account/change-password-form";
import { EndSessionsButton } from "@/components/account/end-sessions-button";
import { Card, PageHeader } from "@/components/ui/card";
import { requireRole } from "@/lib/auth";

export const metadata = { title: "Your account" };

export default async function AccountPage() {
  const me = await requireRole("viewer", "page");
  return (
    <>
      <PageHeader title="Your account" description={`${me.name} (${me.email}), ${me.role}. Your role is set by an admin on the Users page.`} />
      <Card title="Change password">
        <p className="mb-4 text-sm text-slate-600 dark:text-slate-400">
          Changing it signs you out everywhere, here included: sign in again with the new password.
        </p>
        <ChangePasswordForm />
      </Card>
      <Card title="Sessions" className="mt-6">
        <p className="mb-4 text-sm text-slate-600 dark:text-slate-400">
          Signed in somewhere you no longer are (a shared or lost computer)? End every session of yours at once, here included.
        </p>
        <EndSessionsButton />
      </Card>
    </>
  );
}
