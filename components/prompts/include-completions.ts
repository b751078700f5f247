import type { CompletionContext, CompletionResult } from "@codemirror/autocomplete";
import type { IncludeTarget } from "@/lib/prompts/schemas";

// The template editor's autocompletion of includes (`{{> name@label}}`, `{{> name#3}}`; lib/prompts/compose.ts):
// apart from the editor so it can be tested without a DOM.

/** After `{{>`: prompt names; after `{{> name@`: its labels; after `{{> name#`: its versions. */
export function includeCompletions(targets: IncludeTarget[]) {
  return (ctx: CompletionContext): CompletionResult | null => {
    const m = ctx.matchBefore(/\{\{>\s*[a-z0-9._-]*(?:[@#][a-z0-9._-]*)?$/);
    if (!m) return null;
    const head = /^\{\{>\s*/.exec(m.text)![0];
    const rest = m.text.slice(head.length);
    const at = rest.search(/[@#]/);
    if (at < 0) {
      return {
        from: m.from + head.length,
        options: targets.map((t) => ({ label: t.name, type: "class", detail: t.labels.length ? `prompt · ${t.labels.join(", ")}` : "prompt" })),
        validFor: /^[a-z0-9._-]*$/,
      };
    }
    const target = targets.find((t) => t.name === rest.slice(0, at));
    if (!target) return null;
    const from = m.from + head.length + at + 1;
    if (rest[at] === "@") return { from, options: target.labels.map((l) => ({ label: l, type: "constant", detail: "label" })), validFor: /^[a-z0-9._-]*$/ };
    const versions = Array.from({ length: target.latestVersion ?? 0 }, (_, i) => (target.latestVersion ?? 0) - i);
    return { from, options: versions.map((v) => ({ label: String(v), type: "constant", detail: "version" })), validFor: /^[0-9]*$/ };
  };
}
