// Issue 20 §2: the include syntax (`{{> name@label}}`, `{{> name#3}}`) next to Handlebars' own, the
// editor's autocompletion after `{{>`, and the diff of a changed reference.
import { describe, expect, it } from "vitest";
import { CompletionContext } from "@codemirror/autocomplete";
import { EditorState } from "@codemirror/state";
import { includeCompletions } from "@/components/prompts/include-completions";
import { AppError } from "@/lib/core";
import { diffContents } from "@/lib/prompts/diff";
import { checkTemplates } from "@/lib/prompts/engine";
import { includeRefs, promptContent } from "@/lib/prompts/schemas";

const chat = (content: string) => promptContent.parse({ type: "chat", messages: [{ role: "user", content }] });

function failure(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error("expected an AppError");
}

describe("include syntax", () => {
  it("issue 20 §2: finds label and version pins, and nothing in variables or blocks", () => {
    expect(includeRefs("A {{> tone@production}} B {{>rules.v2#12 }} {{x}} {{#each y}}{{/each}} {{> bare}}")).toEqual([
      { prompt: "tone", label: "production", version: null, tag: "{{> tone@production}}" },
      { prompt: "rules.v2", label: null, version: 12, tag: "{{>rules.v2#12 }}" },
    ]);
    expect(includeRefs("{{name}} {{@root.name}} {{#if a}}x{{/if}}")).toEqual([]);
  });

  it("issue 20 §2: a pinned include passes the save-time check; its variables are not the template's", () => {
    expect(checkTemplates(chat("Hi {{who}}. {{> tone@production}} {{#if x}}{{> rules#3}}{{/if}}"))).toEqual(["who", "x"]);
  });

  it("issue 20 §2: an unpinned include (a Handlebars partial) is still refused, and the message shows the syntax", () => {
    for (const tpl of ["{{> tone}}", "{{> tone@}}", "{{> tone#0}}", "{{> Tone@production}}", "{{{> tone@production}}}", "{{ > tone@production}}"]) {
      const e = failure(() => checkTemplates(chat(tpl)));
      expect(e.status, tpl).toBe(400);
      expect(e.message, tpl).toContain("{{> name@label}} or {{> name#3}}");
    }
  });

  it("issue 20 §2: the diff view shows a changed reference as a change", () => {
    const d = diffContents(chat("Intro {{> tone@production}} end"), chat("Intro {{> tone@staging}} end"), { from: 1, to: 2 });
    expect(d.messages[0]!.status).toBe("changed");
    const removed = d.messages[0]!.parts.filter((p) => p.removed).map((p) => p.value).join("");
    const added = d.messages[0]!.parts.filter((p) => p.added).map((p) => p.value).join("");
    expect(removed).toContain("production");
    expect(added).toContain("staging");
    expect(diffContents(chat("{{> tone#2}}"), chat("{{> tone#3}}"), { from: 1, to: 2 }).messages[0]!.status).toBe("changed");
  });
});

describe("include autocompletion", () => {
  const targets = [{ name: "tone", labels: ["production", "staging"], latestVersion: 3 }, { name: "rules", labels: [], latestVersion: 1 }];
  const complete = (doc: string) => {
    const r = includeCompletions(targets)(new CompletionContext(EditorState.create({ doc }), doc.length, false));
    return r ? { from: r.from, labels: r.options.map((o) => o.label) } : null;
  };

  it("issue 20 §2: offers prompt names after {{>, labels after @ and versions after #", () => {
    expect(complete("Hi {{> ")).toEqual({ from: 7, labels: ["tone", "rules"] });
    expect(complete("Hi {{>to")).toEqual({ from: 6, labels: ["tone", "rules"] });
    expect(complete("{{> tone@")).toEqual({ from: 9, labels: ["production", "staging"] });
    expect(complete("{{> tone@pro")).toEqual({ from: 9, labels: ["production", "staging"] });
    expect(complete("{{> tone#")).toEqual({ from: 9, labels: ["3", "2", "1"] });
    expect(complete("{{> nobody@")).toBeNull();
    expect(complete("{{ name")).toBeNull();
  });
});
