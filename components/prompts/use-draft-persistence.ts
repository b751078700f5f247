"use client";
import { useEffect } from "react";
import { clearStoredDraft, readStoredDraft, sameDraft, writeStoredDraft } from "./draft-storage";
import { useEditorStore } from "./use-editor-store";

/**
 * Keeps the editor's unsaved draft in local storage under `storageKey` (per
 * workspace, prompt and opened version) and, when the page opens with a stored
 * draft that differs from what it loaded, offers it (store.restorable) instead
 * of applying it. Run it after the store's load() for `storeKey`.
 */
export function useDraftPersistence(storageKey: string | null, storeKey: string): void {
  useEffect(() => {
    if (!storageKey) return;
    const now = useEditorStore.getState();
    if (now.key === storeKey && !now.dirty) {
      const stored = readStoredDraft(storageKey);
      if (stored && !sameDraft(stored.draft, now.draft)) now.offerRestore(stored);
      else if (stored) clearStoredDraft(storageKey);
    }
    return useEditorStore.subscribe((s, prev) => {
      // Until the user restores or discards, the stored draft is theirs: nothing overwrites it.
      if (s.key !== storeKey || s.restorable) return;
      if (s.draft === prev.draft && s.dirty === prev.dirty && s.baseVersion === prev.baseVersion) return;
      if (s.dirty) writeStoredDraft(storageKey, { savedAt: Date.now(), baseVersion: s.baseVersion, draft: s.draft });
      // Saved, or replaced by a reload of the newest version: nothing unsaved is left.
      else clearStoredDraft(storageKey);
    });
  }, [storageKey, storeKey]);
}
