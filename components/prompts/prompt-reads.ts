// The prompt views' reads, typed, from the console routes (app/api/console):
// TanStack Query's queryFns, and the editor's one-off loads. Writes stay server actions.
import { fetchJson } from "@/components/ui/fetch-json";
import type { IncludeTarget, PlaygroundRun, PreviewResult, PromptContentInput, PromptDetail, VersionDiff, VersionView } from "@/lib/prompts/schemas";

const prompt = (name: string) => `/api/console/prompts/${encodeURIComponent(name)}`;

export const fetchPrompt = (name: string, signal?: AbortSignal) => fetchJson<PromptDetail>(prompt(name), { signal });

export const fetchVersion = (name: string, version: number, signal?: AbortSignal) =>
  fetchJson<VersionView>(`${prompt(name)}/versions/${version}`, { signal });

export const fetchDiff = (name: string, pair: { from: number; to: number }, signal?: AbortSignal) =>
  fetchJson<VersionDiff>(`${prompt(name)}/diff?${new URLSearchParams({ from: String(pair.from), to: String(pair.to) })}`, { signal });

/** An unsaved draft against a saved version: a POST, since a draft does not fit in a query string. */
export const fetchDraftDiff = (name: string, against: number, draft: PromptContentInput, signal?: AbortSignal) =>
  fetchJson<VersionDiff>(`${prompt(name)}/diff`, { body: { against, draft }, signal });

/** The workspace's prompts and labels, for autocompleting includes (`{{> name@label}}`). */
export const fetchIncludeTargets = (signal?: AbortSignal) => fetchJson<IncludeTarget[]>("/api/console/prompt-refs", { signal });

export const fetchPreview = (input: { draft: PromptContentInput; values: Record<string, unknown>; prompt?: string | null }, signal?: AbortSignal) =>
  fetchJson<PreviewResult>("/api/console/preview", { body: input, signal });

/** Null until the run's usage event is written. */
export const fetchPlaygroundRun = (completionId: string, signal?: AbortSignal) =>
  fetchJson<PlaygroundRun | null>(`/api/console/playground/runs/${encodeURIComponent(completionId)}`, { signal });
