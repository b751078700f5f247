import { Badge } from "@/components/ui/badge";

const tones = { production: "green", latest: "blue", staging: "amber" } as const;

export function LabelBadge({ name, version }: { name: string; version?: number }) {
  const tone = (tones as Record<string, "green" | "blue" | "amber">)[name] ?? "indigo";
  return (
    <Badge tone={tone}>
      {name}
      {version !== undefined && <span className="ml-1 font-normal">v{version}</span>}
    </Badge>
  );
}
