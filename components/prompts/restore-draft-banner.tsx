"use client";
import { Button } from "@/components/ui/button";
import { clearStoredDraft } from "./draft-storage";
import { useEditorStore } from "./use-editor-store";

/** Offers the unsaved draft kept in local storage from an earlier visit: restore it, or discard it for good. */
export function RestoreDraftBanner({ storageKey }: { storageKey: string | null }) {
  const restorable = useEditorStore((s) => s.restorable);
  if (!restorable || !storageKey) return null;
  const when = new Date(restorable.savedAt).toLocaleString();
  return (
    <div role="region" aria-label="Unsaved draft" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
      <p>
        You have an unsaved draft of this prompt from {when}
        {restorable.baseVersion !== null ? `, written on top of version ${restorable.baseVersion}` : ""}.
      </p>
      <div className="mt-2 flex gap-2">
        <Button size="sm" onClick={() => useEditorStore.getState().restore()}>Restore draft</Button>
        <Button
          size="sm"
          variant="secondary"
          onClick={() => {
            clearStoredDraft(storageKey);
            useEditorStore.getState().dismissRestore();
          }}
        >
          Discard draft
        </Button>
      </div>
    </div>
  );
}
