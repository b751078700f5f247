import "server-only";
import Handlebars from "handlebars";
import { AppError } from "@/lib/core";
import {
  INCLUDE_PATTERN, MAX_RENDERED_CHARS, valueProblem,
  type PromptContent, type PromptMessage, type RenderedPrompt, type VariableDeclaration,
} from "./schemas";

// The template engine: Handlebars in its own environment, compiled with
// noEscape (prompts are not HTML) and strict (a missing value fails instead of
// rendering as ""). Only the built-in block helpers exist (if, unless, each,
// with, lookup); there are no custom helpers and no partials, so a template can
// only read the values it is given: it never runs code. Values are inserted
// once, as text: a value containing "{{x}}" is never rendered again.

const hb = Handlebars.create();
hb.unregisterHelper("log");

/** Compile options: `log` and the runtime's internal hooks are made unknown, so knownHelpersOnly rejects them at compile time. */
const COMPILE = {
  noEscape: true, strict: true, knownHelpersOnly: true,
  knownHelpers: { log: false, helperMissing: false, blockHelperMissing: false },
} as const;

// A render's work budget. Handlebars renders synchronously, so one module-level
// budget is enough. Loops are where output can explode (nested `each` over big
// lists), so `each` is wrapped to count iterations and output as it goes and
// stop the render early, instead of measuring a huge string afterwards.
const MAX_ITERATIONS = 100_000;
let budget = { iterations: 0, limit: MAX_RENDERED_CHARS };

const tooLarge = (limit: number) =>
  new AppError("validation_error", `The rendered prompt is longer than the limit of ${limit} characters`, { param: "variables" });

type HelperOptions = Handlebars.HelperOptions;
const builtinEach = hb.helpers.each as (this: unknown, context: unknown, options: HelperOptions) => string;
hb.registerHelper("each", function (this: unknown, context: unknown, options: HelperOptions) {
  let produced = 0;
  const fn = options.fn;
  const counted = ((ctx: unknown, o?: Handlebars.RuntimeOptions) => {
    if (++budget.iterations > MAX_ITERATIONS) throw tooLarge(budget.limit);
    const s = fn(ctx, o);
    produced += s.length;
    if (produced > budget.limit) throw tooLarge(budget.limit);
    return s;
  }) as Handlebars.TemplateDelegate;
  return builtinEach.call(this, context, { ...options, fn: counted });
});

// ------------------------------------------------------------------ parsing

export type TemplateProblem = { index: number; message: string };

type Node = { type: string; [k: string]: unknown };
type PathNode = Node & { data: boolean; depth: number; parts: string[]; original: string };

/**
 * The root-level variables a template reads, found by walking its syntax tree:
 * `{{x}}`, `{{x.y}}`, `{{#each x}}`, `{{#if x}}`, `{{@root.x}}` and `{{../x}}`
 * from inside a block. Names inside `each`/`with` bodies refer to the item, not
 * to variables, unless they climb back to the root.
 */
function collect(node: unknown, ctxDepth: number, blockParams: Set<string>, out: Set<string>): void {
  if (!node || typeof node !== "object") return;
  const n = node as Node;
  switch (n.type) {
    case "Program":
      for (const s of (n.body as Node[]) ?? []) collect(s, ctxDepth, blockParams, out);
      return;
    case "PathExpression": {
      const p = n as PathNode;
      if (p.data) {
        if (p.parts[0] === "root" && p.parts[1]) out.add(p.parts[1]);
        return;
      }
      const first = p.parts[0];
      if (!first) return;
      if (p.depth === 0 && blockParams.has(first)) return;
      if (ctxDepth - p.depth === 0) out.add(first);
      return;
    }
    case "MustacheStatement":
    case "SubExpression": {
      const params = (n.params as Node[]) ?? [];
      const pairs = ((n.hash as { pairs?: { value: Node }[] } | undefined)?.pairs ?? []).map((p) => p.value);
      // `{{x}}` reads x; `{{helper a b}}` reads a and b.
      if (params.length === 0 && pairs.length === 0) collect(n.path, ctxDepth, blockParams, out);
      for (const a of [...params, ...pairs]) collect(a, ctxDepth, blockParams, out);
      return;
    }
    case "BlockStatement": {
      const path = n.path as PathNode;
      const params = (n.params as Node[]) ?? [];
      const helper = params.length > 0 ? path.original : null;
      if (!helper) collect(path, ctxDepth, blockParams, out);
      for (const a of params) collect(a, ctxDepth, blockParams, out);
      // each/with (and a bare section `{{#x}}`) render their body in a new context.
      const changes = helper === "each" || helper === "with" || helper === null;
      const program = n.program as Node & { blockParams?: string[] };
      const inner = new Set(blockParams);
      for (const b of program?.blockParams ?? []) inner.add(b);
      collect(program, changes ? ctxDepth + 1 : ctxDepth, inner, out);
      collect(n.inverse, ctxDepth, blockParams, out);
      return;
    }
    case "PartialStatement":
    case "PartialBlockStatement":
    case "Decorator":
    case "DecoratorBlock":
      throw new Error("partials and decorators ({{> x}}, {{* x}}) are not supported");
    default:
      return;
  }
}

function parse(source: string): unknown {
  return hb.parse(source);
}

/** Root-level variables a template reads, in order of first use; throws on a syntax error. */
export function templateVariables(source: string): string[] {
  const out = new Set<string>();
  collect(parse(source), 0, new Set(), out);
  return [...out];
}

function sources(content: Pick<PromptContent, "type" | "messages" | "text">): string[] {
  return content.type === "text" ? [content.text ?? ""] : (content.messages ?? []).map((m) => m.content);
}

const paramOf = (content: Pick<PromptContent, "type">, index: number) => (content.type === "text" ? "text" : `messages.${index}.content`);

function syntaxMessage(e: unknown): string {
  const raw = e instanceof Error ? e.message : String(e);
  // Handlebars' parse errors span several lines (source excerpt, caret, expectation).
  const lines = raw.split("\n").map((l) => l.trim()).filter(Boolean);
  return lines.length > 1 ? `${lines[0]} ${lines.slice(-1)[0]}` : (lines[0] ?? "syntax error");
}

/**
 * Checks every template of a version for syntax errors and unknown helpers,
 * so a broken template is refused at save time, never at request time.
 * Returns the variables the templates use.
 */
export function checkTemplates(content: Pick<PromptContent, "type" | "messages" | "text">): string[] {
  const used = new Set<string>();
  sources(content).forEach((source, i) => {
    // Includes ({{> name@label}}) are expanded before rendering (compose.ts); what is left must be plain Handlebars.
    const src = source.replace(INCLUDE_PATTERN, "");
    try {
      if (/\{\{\{?\s*>/.test(src)) {
        throw new Error("an include names a prompt and pins it to a label or a version: {{> name@label}} or {{> name#3}}");
      }
      for (const v of templateVariables(src)) used.add(v);
      // Compiling finds what parsing alone does not (unknown helpers, partials, decorators).
      hb.precompile(src, COMPILE);
    } catch (e) {
      const where = content.type === "text" ? "The text" : `Message ${i + 1}`;
      throw new AppError("validation_error", `${where} is not a valid template: ${syntaxMessage(e)}`, { param: paramOf(content, i) });
    }
  });
  return [...used];
}

/** Variables used but neither declared nor global: shown as warnings in the editor. */
export function undeclaredVariables(used: string[], declared: VariableDeclaration[], globals: string[]): string[] {
  const known = new Set([...declared.map((d) => d.name), ...globals]);
  return used.filter((u) => !known.has(u));
}

// ---------------------------------------------------------------- rendering

// Compiled templates are cached by source: versions are immutable, so a hot
// prompt compiles once per instance.
const COMPILED_MAX = 1000;
const compiled = new Map<string, Handlebars.TemplateDelegate>();

function compile(source: string): Handlebars.TemplateDelegate {
  let fn = compiled.get(source);
  if (!fn) {
    fn = hb.compile(source, COMPILE);
    if (compiled.size >= COMPILED_MAX) compiled.delete(compiled.keys().next().value as string);
    compiled.set(source, fn);
  }
  return fn;
}

/**
 * A JSON value as the template sees it: objects and arrays print as JSON
 * (`{{order}}`), and still work with `each`, `with` and `{{order.id}}`.
 */
function templateValue(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(v) ? v.map(templateValue) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, templateValue(x)]));
  const text = JSON.stringify(v);
  Object.defineProperty(copy, "toString", { value: () => text, enumerable: false });
  return copy;
}

/**
 * The values a render sees. Precedence: the request's value, then the
 * variable's declared default, then the global variable of that name. Values
 * are type-checked against their declarations; a missing required value fails.
 */
export function resolveValues(
  declared: VariableDeclaration[],
  provided: Record<string, unknown>,
  globals: Record<string, unknown> = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...globals };
  for (const [k, v] of Object.entries(provided)) if (v !== undefined) out[k] = v;
  for (const d of declared) {
    const given = provided[d.name];
    let value: unknown;
    if (given !== undefined && given !== null) {
      const problem = valueProblem(d, given);
      if (problem) throw new AppError("validation_error", `Variable '${d.name}' ${problem}`, { param: `variables.${d.name}` });
      value = given;
    } else if (d.default !== undefined) {
      value = d.default;
    } else if (globals[d.name] !== undefined) {
      value = globals[d.name];
      const problem = valueProblem(d, value);
      if (problem) throw new AppError("validation_error", `Global variable '${d.name}' ${problem}`, { param: `variables.${d.name}` });
    } else if (d.required) {
      throw new AppError("validation_error", `Missing required variable '${d.name}'`, { param: `variables.${d.name}` });
    } else {
      // Optional and absent: present but empty, so strict mode renders "" and `if` is false.
      value = null;
    }
    out[d.name] = value;
  }
  return out;
}

function runtimeMessage(e: unknown, where: string): AppError {
  if (e instanceof AppError) return e;
  if (e instanceof RangeError) return tooLarge(budget.limit);
  const raw = e instanceof Error ? e.message : String(e);
  const missing = /^"([^"]+)" not defined in .* - (\d+:\d+)/.exec(raw);
  if (missing) {
    return new AppError("validation_error", `${where} uses '${missing[1]}' (at ${missing[2]}), which has no value`, { param: `variables.${missing[1]}` });
  }
  return new AppError("validation_error", `${where} could not be rendered: ${raw.split("\n")[0]}`, { param: "variables" });
}

/**
 * Renders a version's templates with values already checked by resolveValues.
 * A text prompt renders to one user message.
 */
export function renderContent(
  content: Pick<PromptContent, "type" | "messages" | "text">,
  values: Record<string, unknown>,
  limit: number = MAX_RENDERED_CHARS,
): RenderedPrompt {
  const ctx = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, templateValue(v)]));
  const templates: PromptMessage[] = content.type === "text" ? [{ role: "user", content: content.text ?? "" }] : (content.messages ?? []);
  budget = { iterations: 0, limit };
  let chars = 0;
  const messages = templates.map((m, i) => {
    const where = content.type === "text" ? "The text" : `Message ${i + 1}`;
    let text: string;
    try {
      text = compile(m.content)(ctx, { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false });
    } catch (e) {
      throw runtimeMessage(e, where);
    }
    chars += text.length;
    if (chars > limit) throw tooLarge(limit);
    return { role: m.role, content: text };
  });
  return { messages, chars };
}

/** resolveValues + renderContent: what a completion does with a version and a request's variables. */
export function renderPrompt(
  content: Pick<PromptContent, "type" | "messages" | "text" | "variables">,
  provided: Record<string, unknown>,
  globals: Record<string, unknown> = {},
): RenderedPrompt {
  return renderContent(content, resolveValues(content.variables, provided, globals));
}
