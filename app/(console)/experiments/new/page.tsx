import { Card, PageHeader } from "@/components/ui/card";
import { CreateExperimentForm } from "@/components/experiments/create-experiment-form";
import { requireRole, userWorkspace } from "@/lib/auth";
import { listPrompts } from "@/lib/prompts";

export const metadata = { title: "New experiment" };

export default async function NewExperimentPage() {
  const me = await requireRole("editor", "page");
  const prompts = (await listPrompts(userWorkspace(me))).map((p) => ({
    name: p.name,
    latestVersion: p.latestVersion ?? 0,
    labels: p.labels.map((l) => ({ name: l.name, version: l.version })),
  }));
  return (
    <>
      <PageHeader title="New experiment" description="Split one prompt label's traffic between versions. It starts as a draft: nothing changes until you start it." />
      <Card>
        <CreateExperimentForm prompts={prompts} />
      </Card>
    </>
  );
}
