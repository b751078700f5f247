import { Badge } from "@/components/ui/badge";
import type { ExperimentStatus } from "@/lib/experiments/schemas";

const tone = { draft: "gray", running: "green", paused: "amber", completed: "indigo" } as const;

export function StatusBadge({ status }: { status: ExperimentStatus }) {
  return <Badge tone={tone[status]}>{status}</Badge>;
}
