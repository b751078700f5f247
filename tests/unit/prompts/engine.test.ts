import { describe, expect, it } from "vitest";
import { AppError } from "@/lib/core";
import { checkTemplates, renderContent, renderPrompt, resolveValues, templateVariables, undeclaredVariables } from "@/lib/prompts/engine";
import { promptContent, type PromptContentInput, type VariableDeclaration } from "@/lib/prompts/schemas";

const chat = (content: string, variables: PromptContentInput["variables"] = []) =>
  promptContent.parse({ type: "chat", messages: [{ role: "user", content }], variables });

const render = (content: string, values: Record<string, unknown>, variables: PromptContentInput["variables"] = [], globals = {}) =>
  renderPrompt(chat(content, variables), values, globals).messages[0]!.content;

function failure(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error("expected an AppError");
}

const decl = (d: Partial<VariableDeclaration> & { name: string }): NonNullable<PromptContentInput["variables"]>[number] => ({ type: "string", required: true, ...d });

describe("template rendering", () => {
  it("substitutes variables with or without whitespace inside the braces, and never HTML-escapes", () => {
    expect(render("Hi {{name}}, {{ name }}, {{  name  }}!", { name: "<Ann & \"Bo\">" })).toBe('Hi <Ann & "Bo">, <Ann & "Bo">, <Ann & "Bo">!');
  });

  it("renders conditionals, loops over lists and nested objects", () => {
    const tpl = "{{#if vip}}VIP {{/if}}{{customer.name}} ordered:{{#each items}} {{@index}}.{{name}}x{{qty}}{{#if gift}} (gift for {{../customer.name}}){{/if}}{{/each}}{{#unless items}} nothing{{/unless}}";
    const variables = [decl({ name: "vip", type: "boolean" }), decl({ name: "customer", type: "json" }), decl({ name: "items", type: "json" })];
    expect(
      render(tpl, { vip: true, customer: { name: "Ann" }, items: [{ name: "tea", qty: 2, gift: false }, { name: "cup", qty: 1, gift: true }] }, variables),
    ).toBe("VIP Ann ordered: 0.teax2 1.cupx1 (gift for Ann)");
    expect(render(tpl, { vip: false, customer: { name: "Bo" }, items: [] }, variables)).toBe("Bo ordered: nothing");
  });

  it("nests loops with block parameters", () => {
    const tpl = "{{#each groups as |g|}}[{{g.name}}:{{#each g.members as |m|}}{{m}}{{/each}}]{{/each}}";
    expect(render(tpl, { groups: [{ name: "a", members: ["x", "y"] }, { name: "b", members: [] }] }, [decl({ name: "groups", type: "json" })])).toBe("[a:xy][b:]");
  });

  it("prints a JSON object or array as JSON rather than [object Object]", () => {
    expect(render("{{order}} {{tags}}", { order: { id: 7, lines: [1, 2] }, tags: ["a", "b"] })).toBe('{"id":7,"lines":[1,2]} ["a","b"]');
  });

  it("fails on a missing required variable, naming it", () => {
    const e = failure(() => render("Hi {{name}}", {}, [decl({ name: "name" })]));
    expect(e.status).toBe(400);
    expect(e.details.param).toBe("variables.name");
    expect(e.message).toBe("Missing required variable 'name'");
  });

  it("fails on a value the template uses but nobody provided, even when undeclared", () => {
    const e = failure(() => render("Hi {{nobody}}", {}));
    expect(e.details.param).toBe("variables.nobody");
    expect(e.message).toContain("'nobody'");
  });

  it("fails on a missing nested field instead of rendering an empty string", () => {
    const e = failure(() => render("{{user.email}}", { user: { name: "Ann" } }, [decl({ name: "user", type: "json" })]));
    expect(e.status).toBe(400);
    expect(e.message).toContain("'email'");
  });

  it("applies declared defaults, and renders an optional variable without a default as empty", () => {
    const variables = [decl({ name: "tone", default: "friendly", required: false }), decl({ name: "extra", required: false })];
    expect(render("[{{tone}}][{{extra}}]{{#if extra}}yes{{else}}no{{/if}}", {}, variables)).toBe("[friendly][]no");
    expect(render("[{{tone}}]", { tone: "formal" }, variables)).toBe("[formal]");
  });

  it("prefers the request's value, then the declared default, then the global value", () => {
    const variables = [decl({ name: "company", required: false, default: "Acme" }), decl({ name: "city" })];
    const globals = { company: "Globex", city: "Paris", support_email: "help@example.com" };
    expect(render("{{company}} {{city}} {{support_email}}", {}, variables, globals)).toBe("Acme Paris help@example.com");
    expect(render("{{company}} {{city}} {{support_email}}", { company: "Initech", city: "Oslo", support_email: "x@y.z" }, variables, globals)).toBe("Initech Oslo x@y.z");
  });

  it("type-checks every declared type and names the variable and the expected type", () => {
    const variables = [
      decl({ name: "s", type: "string" }),
      decl({ name: "n", type: "number" }),
      decl({ name: "b", type: "boolean" }),
      decl({ name: "j", type: "json" }),
    ];
    const ok = { s: "x", n: 1.5, b: false, j: { a: 1 } };
    expect(render("{{s}}{{n}}{{b}}{{j.a}}", ok, variables)).toBe("x1.5false1");
    const cases: [string, unknown, string][] = [
      ["s", 5, "Variable 's' must be a string, got number"],
      ["n", "5", "Variable 'n' must be a number, got string"],
      ["n", Number.NaN, "Variable 'n' must be a number, got number"],
      ["b", "true", "Variable 'b' must be a boolean, got string"],
      ["s", ["a"], "Variable 's' must be a string, got an array"],
    ];
    for (const [name, value, message] of cases) {
      const e = failure(() => render("{{s}}", { ...ok, [name]: value }, variables));
      expect(e.message).toBe(message);
      expect(e.details.param).toBe(`variables.${name}`);
    }
  });

  it("accepts only the declared values of an enum", () => {
    const variables = [decl({ name: "tone", type: "enum", values: ["friendly", "formal"] })];
    expect(render("{{tone}}", { tone: "formal" }, variables)).toBe("formal");
    expect(failure(() => render("{{tone}}", { tone: "rude" }, variables)).message).toBe("Variable 'tone' must be one of friendly, formal, got 'rude'");
    expect(failure(() => render("{{tone}}", { tone: 1 }, variables)).message).toContain("must be one of friendly, formal");
  });

  it("refuses declarations whose default does not match their type, or enums without values", () => {
    expect(() => promptContent.parse({ messages: [{ role: "user", content: "x" }], variables: [{ name: "n", type: "number", default: "1" }] })).toThrow(/default must be a number/);
    expect(() => promptContent.parse({ messages: [{ role: "user", content: "x" }], variables: [{ name: "e", type: "enum" }] })).toThrow(/at least one value/);
    expect(() => promptContent.parse({ messages: [{ role: "user", content: "x" }], variables: [{ name: "a" }, { name: "a" }] })).toThrow(/declared twice/);
  });

  it("enforces the size limit on the rendered output", () => {
    const content = chat("{{a}}{{a}}", [decl({ name: "a" })]);
    expect(renderContent(content, { a: "x".repeat(50) }, 100).chars).toBe(100);
    const e = failure(() => renderContent(content, { a: "x".repeat(51) }, 100));
    expect(e.message).toBe("The rendered prompt is longer than the limit of 100 characters");
    expect(e.status).toBe(400);
  });

  it("stops a loop that would exceed the limit before building the whole output", () => {
    // 10,000 × 10,000 iterations would take minutes; the budget stops it at once.
    const content = chat("{{#each xs}}{{#each ../xs}}{{this}}{{/each}}{{/each}}", [decl({ name: "xs", type: "json" })]);
    const xs = Array.from({ length: 10_000 }, (_, i) => i);
    const t = performance.now();
    expect(failure(() => renderContent(content, { xs }, 50_000)).message).toMatch(/longer than the limit/);
    expect(performance.now() - t).toBeLessThan(2000);
  });

  it("stops a loop that produces no output once it has iterated too often", () => {
    const content = chat("{{#each xs}}{{#each ../xs}}{{/each}}{{/each}}", [decl({ name: "xs", type: "json" })]);
    const xs = Array.from({ length: 5_000 }, (_, i) => i);
    expect(failure(() => renderContent(content, { xs })).message).toMatch(/longer than the limit/);
  });

  it("renders a text prompt as one user message", () => {
    const content = promptContent.parse({ type: "text", text: "Summarise: {{doc}}", variables: [{ name: "doc" }] });
    expect(renderPrompt(content, { doc: "abc" }).messages).toEqual([{ role: "user", content: "Summarise: abc" }]);
  });
});

describe("template injection", () => {
  it("never renders a value again: a value containing {{x}} comes out literally", () => {
    const variables = [decl({ name: "question" }), decl({ name: "secret", required: false, default: "s3cr3t" })];
    expect(render("Q: {{question}}", { question: "Print {{secret}} and {{{secret}}} and {{#each this}}{{this}}{{/each}}" }, variables)).toBe(
      "Q: Print {{secret}} and {{{secret}}} and {{#each this}}{{this}}{{/each}}",
    );
  });

  it("cannot reach prototypes or constructors through lookups", () => {
    expect(render("[{{constructor}}][{{__proto__}}]", {})).toBe("[][]");
    // Blocked like a missing field: strict mode refuses instead of printing "Object".
    expect(failure(() => render("[{{a.constructor.name}}]", { a: { x: 1 } }, [decl({ name: "a", type: "json" })])).status).toBe(400);
    expect(render("[{{lookup a 'constructor'}}][{{lookup a '__proto__'}}]", { a: { x: 1 } }, [decl({ name: "a", type: "json" })])).toBe("[][]");
  });

  it("does not let a JSON value named like a prototype property pollute anything", () => {
    const evil = JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}}');
    render("{{#each a}}{{this}}{{/each}}", { a: evil }, [decl({ name: "a", type: "json" })]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses partials, decorators, unknown helpers and the log helper at save time", () => {
    for (const tpl of ["{{> header}}", "{{#> layout}}x{{/layout}}", "{{* deco}}", "{{shout name}}", "{{log 'x'}}", "{{helperMissing 'x'}}", "{{blockHelperMissing 'x'}}"]) {
      const e = failure(() => checkTemplates(chat(tpl)));
      expect(e.status, tpl).toBe(400);
      expect(e.details.param).toBe("messages.0.content");
    }
  });

  it("still renders bare sections, which call the runtime's internal block hook", () => {
    expect(render("{{#person}}{{name}}{{/person}}{{^person}}nobody{{/person}}", { person: { name: "Ann" } }, [decl({ name: "person", type: "json" })])).toBe("Ann");
  });

  it("reports a syntax error with the message that holds it", () => {
    const content = promptContent.parse({ messages: [{ role: "system", content: "ok {{a}}" }, { role: "user", content: "broken {{#if x}} never closed" }] });
    const e = failure(() => checkTemplates(content));
    expect(e.details.param).toBe("messages.1.content");
    expect(e.message).toMatch(/^Message 2 is not a valid template/);
  });
});

describe("variable detection", () => {
  it("finds root-level variables, but not item fields inside loops or block parameters", () => {
    const tpl = "{{a}} {{b.c}} {{#if d}}{{e}}{{/if}} {{#each items}}{{name}} {{../f}} {{@root.g}} {{@index}}{{/each}} {{#each xs as |x|}}{{x}}{{/each}} {{#with h}}{{inner}}{{/with}} {{lookup i j}}";
    expect(templateVariables(tpl).sort()).toEqual(["a", "b", "d", "e", "f", "g", "h", "i", "items", "j", "xs"].sort());
  });

  it("warns about variables that are used but neither declared nor global", () => {
    const used = checkTemplates(chat("{{a}} {{b}} {{company}}"));
    expect(undeclaredVariables(used, [{ name: "a", type: "string", required: true, description: "" }], ["company"])).toEqual(["b"]);
  });

  it("resolveValues passes undeclared request values through", () => {
    expect(resolveValues([], { free: 1 }, { g: 2 })).toEqual({ free: 1, g: 2 });
  });
});
