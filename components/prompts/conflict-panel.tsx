import { Button } from "@/components/ui/button";
import type { VersionDiff } from "@/lib/prompts/schemas";
import { VersionDiffView } from "./version-diff";

type Props = {
  /** Set after a save was refused because someone else saved first. */
  conflict: { message: string } | null;
  /** The newest version: what the draft is compared with, kept on top of, or replaced by. */
  latest: number | null;
  /** The draft against the newest version, once asked for. */
  diff: VersionDiff | null;
  onCompare: () => void;
  onKeep: () => void;
  onDiscard: () => void;
};

/** The way out of a refused save: the draft is kept until the editor picks one. */
export function ConflictPanel({ conflict, latest, diff, onCompare, onKeep, onDiscard }: Props) {
  return (
    <>
      {conflict && (
        <div role="alert" className="mt-3 space-y-2 rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900 dark:border-red-700 dark:bg-red-950 dark:text-red-100" data-testid="save-conflict">
          <p className="font-medium">Someone else saved this prompt while you were editing. Your draft is still here.</p>
          <p>{conflict.message}</p>
          <div className="flex flex-wrap gap-2">
            <Button size="sm" variant="secondary" onClick={onCompare} disabled={!latest}>Compare my draft with v{latest}</Button>
            <Button size="sm" variant="secondary" onClick={onKeep} disabled={!latest}>Keep my draft on top of v{latest}</Button>
            <Button size="sm" variant="danger" onClick={onDiscard} disabled={!latest}>Discard my draft and load v{latest}</Button>
          </div>
        </div>
      )}
      {diff && (
        <div className="mt-4">
          <VersionDiffView diff={diff} />
        </div>
      )}
    </>
  );
}
