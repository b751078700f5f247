"use client";
import { create } from "zustand";
import { emptyDraft, rowId, type ConfigForm, type Draft, type MessageRow, type VariableRow } from "./draft";
import type { StoredDraft } from "./draft-storage";

// The editor's UI state: the unsaved draft, the sample values of the preview,
// the commit message, the conflict after a refused save and a draft from local
// storage waiting to be restored or discarded. Server data (the
// prompt, its versions and labels) lives in TanStack Query, not here.

type Conflict = { message: string };

type EditorState = {
  key: string;
  draft: Draft;
  baseVersion: number | null;
  dirty: boolean;
  commitMessage: string;
  samples: Record<string, string>;
  conflict: Conflict | null;
  /** An unsaved draft kept from an earlier visit, offered until restored or discarded. */
  restorable: StoredDraft | null;
  /** Starts editing a prompt (or a new one) unless that draft is already loaded. */
  load: (key: string, draft: Draft, baseVersion: number | null, force?: boolean) => void;
  setType: (type: Draft["type"]) => void;
  setText: (text: string) => void;
  updateMessage: (id: string, patch: Partial<MessageRow>) => void;
  addMessage: () => void;
  removeMessage: (id: string) => void;
  moveMessage: (id: string, by: -1 | 1) => void;
  updateVariable: (id: string, patch: Partial<VariableRow>) => void;
  addVariable: (name?: string) => void;
  removeVariable: (id: string) => void;
  setConfig: (patch: Partial<ConfigForm>) => void;
  setCommitMessage: (m: string) => void;
  setSample: (name: string, value: string) => void;
  setConflict: (c: Conflict | null) => void;
  rebase: (version: number) => void;
  saved: (version: number) => void;
  offerRestore: (stored: StoredDraft) => void;
  restore: () => void;
  dismissRestore: () => void;
};

export const useEditorStore = create<EditorState>()((set, get) => {
  const edit = (fn: (d: Draft) => Draft) => set((s) => ({ draft: fn(s.draft), dirty: true }));
  return {
    key: "",
    draft: emptyDraft(),
    baseVersion: null,
    dirty: false,
    commitMessage: "",
    samples: {},
    conflict: null,
    restorable: null,
    load: (key, draft, baseVersion, force = false) => {
      if (!force && get().key === key) return;
      set({ key, draft, baseVersion, dirty: false, commitMessage: "", conflict: null, samples: {}, restorable: null });
    },
    setType: (type) => edit((d) => ({ ...d, type, text: type === "text" && !d.text ? d.messages.map((m) => m.content).join("\n\n") : d.text })),
    setText: (text) => edit((d) => ({ ...d, text })),
    updateMessage: (id, patch) => edit((d) => ({ ...d, messages: d.messages.map((m) => (m.id === id ? { ...m, ...patch } : m)) })),
    addMessage: () => edit((d) => ({ ...d, messages: [...d.messages, { id: rowId(), role: d.messages.length ? "user" : "system", content: "" }] })),
    removeMessage: (id) => edit((d) => ({ ...d, messages: d.messages.filter((m) => m.id !== id) })),
    moveMessage: (id, by) =>
      edit((d) => {
        const i = d.messages.findIndex((m) => m.id === id);
        const j = i + by;
        if (i < 0 || j < 0 || j >= d.messages.length) return d;
        const messages = [...d.messages];
        [messages[i], messages[j]] = [messages[j]!, messages[i]!];
        return { ...d, messages };
      }),
    updateVariable: (id, patch) => edit((d) => ({ ...d, variables: d.variables.map((v) => (v.id === id ? { ...v, ...patch } : v)) })),
    addVariable: (name = "") =>
      edit((d) => ({
        ...d,
        variables: [...d.variables, { id: rowId(), name, type: "string", required: true, defaultText: "", description: "", valuesText: "" }],
      })),
    removeVariable: (id) => edit((d) => ({ ...d, variables: d.variables.filter((v) => v.id !== id) })),
    setConfig: (patch) => edit((d) => ({ ...d, config: { ...d.config, ...patch } })),
    setCommitMessage: (commitMessage) => set({ commitMessage }),
    setSample: (name, value) => set((s) => ({ samples: { ...s.samples, [name]: value } })),
    setConflict: (conflict) => set({ conflict }),
    rebase: (version) => set({ baseVersion: version, conflict: null }),
    saved: (version) => set({ baseVersion: version, dirty: false, commitMessage: "", conflict: null }),
    offerRestore: (restorable) => set({ restorable }),
    // The restored draft keeps the base version it was written on: if someone saved since, its save is
    // refused as a conflict (and offers the usual ways out) instead of silently replacing their version.
    restore: () =>
      set((s) => (s.restorable ? { draft: s.restorable.draft, baseVersion: s.restorable.baseVersion ?? s.baseVersion, dirty: true, restorable: null } : {})),
    dismissRestore: () => set({ restorable: null }),
  };
});
