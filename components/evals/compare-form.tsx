"use client";
import { useRouter } from "next/navigation";
import { Button } from "@/components/ui/button";
import { SelectField } from "@/components/ui/field";

/** Picks a baseline (A) and a candidate (B) and opens their paired comparison. */
export function CompareForm({ runs }: { runs: { id: string; label: string }[] }) {
  const router = useRouter();
  return (
    <form
      aria-label="Compare runs"
      className="flex flex-wrap items-end gap-3"
      onSubmit={(e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        router.push(`/evaluations/compare?a=${f.get("a") as string}&b=${f.get("b") as string}`);
      }}
    >
      <SelectField label="Baseline (A)" name="a" defaultValue={runs[1]?.id}>
        {runs.map((r) => <option key={r.id} value={r.id}>{r.label}</option>)}
      </SelectField>
      <SelectField label="Candidate (B)" name="b" defaultValue={runs[0]?.id}>
        {runs.map((r) => <option key={r.id} value={r.id}>{r.label}</option>)}
      </SelectField>
      <Button type="submit">Compare</Button>
    </form>
  );
}
