import "server-only";
import { AppError } from "@/lib/core";
import { cachedComposition, resolvePrompt, scopedPromptKey, type ResolvedPrompt } from "./resolve";
import {
  INCLUDE_PATTERN, MAX_INCLUDE_DEPTH, MAX_RENDERED_CHARS, includeRefs,
  type IncludeRef, type IncludedVersion, type PromptContent, type PromptMessage, type VariableDeclaration,
} from "./schemas";

// Composition: `{{> name@label}}` / `{{> name#3}}` in a template inlines another prompt of the same
// workspace before the template is rendered, so the included text is template text (its variables
// take the caller's values) and values are still inserted exactly once.
// - A text prompt's text is inlined where the include stands, in a text or a chat prompt.
// - A chat prompt can only stand in for a whole message of a chat prompt (a message whose entire
//   content is the include): its messages, with their roles, take that message's place. Anywhere
//   else there is no sensible text for it, and it is refused.
// - The included prompt's variable declarations are added where the including prompt does not
//   declare the name itself; its model config is not used.
// - References resolve within the caller's workspace, recursively, at most MAX_INCLUDE_DEPTH levels
//   deep. A prompt may not include itself by any path (names, not versions, form the cycle).

type Content = Pick<PromptContent, "type" | "messages" | "text" | "variables">;
type Expanded = { type: "chat" | "text"; messages: PromptMessage[]; text: string; variables: VariableDeclaration[] };

const DRAFT = "(draft)";
const MAX_MESSAGES = 100;

type Ctx = {
  workspaceId: string;
  includes: Map<string, IncludedVersion>;
  deps: Set<string>;
  memo: Map<string, Expanded>;
};

const includeError = (message: string, code: string, param: string) =>
  new AppError("validation_error", message, { param, extra: { code } });

const tooLong = (param: string) =>
  includeError(`The composed template (with its includes inlined) is longer than ${MAX_RENDERED_CHARS} characters`, "include_too_large", param);

const path = (chain: string[], next: string) => [...chain, next].join(" → ");

async function resolveRef(ctx: Ctx, ref: IncludeRef, chain: string[], param: string): Promise<Expanded> {
  if (chain.includes(ref.prompt)) {
    const from = chain.indexOf(ref.prompt);
    throw includeError(`Prompt includes form a cycle: ${path(chain.slice(from), ref.prompt)}`, "include_cycle", param);
  }
  if (chain.length > MAX_INCLUDE_DEPTH) {
    throw includeError(`Prompt includes nest deeper than ${MAX_INCLUDE_DEPTH} levels: ${path(chain, ref.prompt)}`, "include_too_deep", param);
  }
  const memoKey = `${ref.tag}\u0000${chain.length}`;
  const known = ctx.memo.get(memoKey);
  if (known) return known;
  let r: ResolvedPrompt;
  try {
    r = await resolvePrompt(ctx.workspaceId, ref.prompt, ref.version ? { version: ref.version } : { label: ref.label ?? undefined });
  } catch (e) {
    if (e instanceof AppError && e.code === "not_found") {
      throw includeError(`${ref.tag} cannot be included: ${e.message}`, "include_not_found", param);
    }
    throw e;
  }
  ctx.deps.add(scopedPromptKey(ctx.workspaceId, r.prompt.name));
  const seen = `${r.prompt.name}#${r.version.version}`;
  if (!ctx.includes.has(seen)) ctx.includes.set(seen, { prompt: r.prompt.name, version: r.version.version, label: r.label });
  const expanded = await expand(ctx, r.version, [...chain, r.prompt.name], param);
  ctx.memo.set(memoKey, expanded);
  return expanded;
}

/** Inlines the text prompts a template includes; a chat prompt there is refused. */
async function expandText(ctx: Ctx, source: string, chain: string[], param: string, vars: VariableDeclaration[]): Promise<string> {
  const refs = includeRefs(source);
  if (!refs.length) return source;
  const texts = new Map<string, string>();
  let length = source.length;
  for (const ref of refs) {
    const e = await resolveRef(ctx, ref, chain, param);
    if (e.type === "chat") {
      throw includeError(
        `${ref.tag}: '${ref.prompt}' is a chat prompt; a chat prompt can only be included as a whole message of a chat prompt (a message whose entire content is the include)`,
        "include_not_inlinable", param,
      );
    }
    texts.set(ref.tag, e.text);
    mergeVariables(vars, e.variables);
    length += e.text.length - ref.tag.length;
    if (length > MAX_RENDERED_CHARS) throw tooLong(param);
  }
  return source.replace(INCLUDE_PATTERN, (tag) => texts.get(tag) ?? tag);
}

function mergeVariables(into: VariableDeclaration[], more: VariableDeclaration[]): void {
  for (const v of more) if (!into.some((d) => d.name === v.name)) into.push(v);
}

async function expand(ctx: Ctx, content: Content, chain: string[], top: string | null): Promise<Expanded> {
  const variables = [...content.variables];
  if (content.type === "text") {
    const text = await expandText(ctx, content.text ?? "", chain, top ?? "text", variables);
    return { type: "text", messages: [], text, variables };
  }
  const messages: PromptMessage[] = [];
  let chars: number;
  const list = content.messages ?? [];
  for (let i = 0; i < list.length; i++) {
    const m = list[i]!;
    const param = top ?? `messages.${i}.content`;
    const refs = includeRefs(m.content);
    if (refs.length === 1 && m.content.trim() === refs[0]!.tag) {
      const e = await resolveRef(ctx, refs[0]!, chain, param);
      mergeVariables(variables, e.variables);
      if (e.type === "chat") messages.push(...e.messages);
      else messages.push({ role: m.role, content: e.text });
    } else {
      messages.push({ role: m.role, content: await expandText(ctx, m.content, chain, param, variables) });
    }
    chars = messages.reduce((n, x) => n + x.content.length, 0);
    if (chars > MAX_RENDERED_CHARS) throw tooLong(param);
    if (messages.length > MAX_MESSAGES) {
      throw includeError(`The composed prompt has more than ${MAX_MESSAGES} messages`, "include_too_large", param);
    }
  }
  return { type: "chat", messages, text: "", variables };
}

const hasIncludes = (c: Content) => (c.type === "text" ? [c.text ?? ""] : (c.messages ?? []).map((m) => m.content)).some((s) => s.includes("{{>"));

export type Composition<C extends Content> = { content: C; includes: IncludedVersion[]; deps: string[] };

/**
 * The content with every include inlined, the exact versions it used (in order of first use) and
 * the prompts it read. `name` is the including prompt's (null for a draft of a new prompt): it may
 * not be included again on any path below it.
 */
export async function composeContent<C extends Content>(workspaceId: string, name: string | null, content: C): Promise<Composition<C>> {
  if (!hasIncludes(content)) return { content, includes: [], deps: [] };
  const ctx: Ctx = { workspaceId, includes: new Map(), deps: new Set(), memo: new Map() };
  const e = await expand(ctx, content, [name ?? DRAFT], null);
  const composed = e.type === "text"
    ? { ...content, text: e.text, variables: e.variables }
    : { ...content, messages: e.messages, variables: e.variables };
  return { content: composed, includes: [...ctx.includes.values()], deps: [...ctx.deps] };
}

/**
 * A resolved version, composed: cached per version and dropped (on every instance) when a prompt
 * it includes changes, so a label move on an included prompt is served from the next request on.
 */
export async function composeResolved(workspaceId: string, r: ResolvedPrompt): Promise<{ content: ResolvedPrompt["version"]; includes: IncludedVersion[] }> {
  if (!hasIncludes(r.version)) return { content: r.version, includes: [] };
  return cachedComposition(`${workspaceId}/${r.version.id}`, async () => {
    const c = await composeContent(workspaceId, r.prompt.name, r.version);
    return { value: { content: c.content, includes: c.includes }, deps: c.deps };
  });
}
