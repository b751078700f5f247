"use client";
import CodeMirror from "@uiw/react-codemirror";
import { autocompletion, type CompletionContext, type CompletionResult } from "@codemirror/autocomplete";
import { Decoration, EditorView, MatchDecorator, ViewPlugin, type DecorationSet, type ViewUpdate } from "@codemirror/view";
import { useMemo } from "react";
import type { IncludeTarget } from "@/lib/prompts/schemas";
import { includeCompletions } from "./include-completions";

// One CodeMirror 6 editor per message: {{…}} expressions are highlighted, and
// typing "{{" offers the declared and global variables (plus the block helpers);
// "{{>" (an include) offers the workspace's prompts, then after "@" their labels
// and after "#" their version numbers.

const templateMark = new MatchDecorator({
  regexp: /\{\{[^{}]*\}\}\}?/g,
  decoration: Decoration.mark({ class: "cm-template-expr" }),
});

const highlightTemplates = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;
    constructor(view: EditorView) {
      this.decorations = templateMark.createDeco(view);
    }
    update(u: ViewUpdate) {
      this.decorations = templateMark.updateDeco(u, this.decorations);
    }
  },
  { decorations: (v) => v.decorations },
);

const theme = EditorView.theme({
  "&": { fontSize: "13px", border: "1px solid rgb(203 213 225)", borderRadius: "6px", backgroundColor: "white" },
  "&.cm-focused": { outline: "2px solid rgb(99 102 241)", outlineOffset: "1px" },
  ".cm-content": { fontFamily: "ui-monospace, SFMono-Regular, Menlo, monospace", color: "rgb(15 23 42)", caretColor: "rgb(15 23 42)" },
  ".cm-template-expr": { color: "rgb(67 56 202)", backgroundColor: "rgb(238 242 255)", borderRadius: "3px", fontWeight: "600" },
  ".cm-placeholder": { color: "rgb(71 85 105)" },
});

const BLOCKS = ["#if", "#unless", "#each", "#with", "else", "/if", "/unless", "/each", "/with"];

function variableCompletions(names: string[]) {
  return (ctx: CompletionContext): CompletionResult | null => {
    const m = ctx.matchBefore(/\{\{\{?\s*[#/^]?[\w.]*$/);
    if (!m) return null;
    const word = /[#/^]?[\w.]*$/.exec(m.text)!;
    const from = m.from + m.text.length - word[0].length;
    return {
      from,
      options: [
        ...names.map((n) => ({ label: n, type: "variable", detail: "variable" })),
        ...BLOCKS.map((b) => ({ label: b, type: "keyword", detail: "block" })),
      ],
      validFor: /^[#/^]?[\w.]*$/,
    };
  };
}

export function TemplateEditor({
  value, onChange, label, variables, includeTargets = [], readOnly = false, testId,
}: { value: string; onChange: (v: string) => void; label: string; variables: string[]; includeTargets?: IncludeTarget[]; readOnly?: boolean; testId?: string }) {
  const key = variables.join(",");
  const targetsKey = JSON.stringify(includeTargets);
  const extensions = useMemo(
    () => [
      highlightTemplates,
      theme,
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ "aria-label": label, ...(testId ? { "data-testid": testId } : {}) }),
      autocompletion({
        override: [variableCompletions(key ? key.split(",") : []), includeCompletions(JSON.parse(targetsKey) as IncludeTarget[])],
        activateOnTyping: true,
      }),
    ],
    // Rebuilt only when the variable names, the include targets or the label change, not on every keystroke.
    [key, targetsKey, label, testId],
  );
  return (
    <CodeMirror
      value={value}
      onChange={onChange}
      extensions={extensions}
      editable={!readOnly}
      readOnly={readOnly}
      theme="light"
      minHeight="4rem"
      basicSetup={{ lineNumbers: false, foldGutter: false, highlightActiveLine: false, highlightActiveLineGutter: false, autocompletion: false }}
    />
  );
}
