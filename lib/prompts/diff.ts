import "server-only";
import type {
  FieldChange, MessageDiff, ModelConfig, PromptContent, PromptMessage, VariableChange, VariableDeclaration, VersionDiff,
} from "./schemas";
import { wordDiff } from "./word-diff";

// Structured comparison of two versions (or a version and a draft): a word-level
// diff per message, paired by position, and the config and variable changes as lists.

type Comparable = Pick<PromptContent, "type" | "messages" | "text" | "variables" | "config">;

const asMessages = (c: Comparable): PromptMessage[] =>
  c.type === "text" ? [{ role: "user", content: c.text ?? "" }] : (c.messages ?? []);

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function messageDiffs(a: PromptMessage[], b: PromptMessage[]): MessageDiff[] {
  const out: MessageDiff[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const before = a[i] ?? null;
    const after = b[i] ?? null;
    if (before && after) {
      const changed = before.content !== after.content || before.role !== after.role;
      out.push({ index: i, status: changed ? "changed" : "unchanged", before, after, roleChanged: before.role !== after.role, parts: wordDiff(before.content, after.content) });
    } else if (after) {
      out.push({ index: i, status: "added", before: null, after, roleChanged: false, parts: [{ value: after.content, added: true }] });
    } else if (before) {
      out.push({ index: i, status: "removed", before, after: null, roleChanged: false, parts: [{ value: before.content, removed: true }] });
    }
  }
  return out;
}

function flatConfig(c: ModelConfig): Record<string, unknown> {
  const { extra, ...known } = c;
  const out: Record<string, unknown> = { ...known };
  for (const [k, v] of Object.entries(extra ?? {})) out[`extra.${k}`] = v;
  return out;
}

function fieldChanges(a: Record<string, unknown>, b: Record<string, unknown>): FieldChange[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => !same(a[k], b[k])).map((k) => ({ field: k, before: a[k] ?? null, after: b[k] ?? null }));
}

function variableChanges(a: VariableDeclaration[], b: VariableDeclaration[]): VariableChange[] {
  const before = new Map(a.map((v) => [v.name, v]));
  const after = new Map(b.map((v) => [v.name, v]));
  const out: VariableChange[] = [];
  for (const [name, v] of before) {
    const w = after.get(name);
    if (!w) out.push({ name, status: "removed", changes: [] });
    else {
      const changes = fieldChanges({ ...v }, { ...w });
      if (changes.length) out.push({ name, status: "changed", changes });
    }
  }
  for (const [name] of after) if (!before.has(name)) out.push({ name, status: "added", changes: [] });
  return out;
}

export function diffContents(a: Comparable, b: Comparable, labels: { from: number | "draft"; to: number | "draft" }): VersionDiff {
  return {
    ...labels,
    typeChanged: a.type !== b.type,
    messages: messageDiffs(asMessages(a), asMessages(b)),
    config: fieldChanges(flatConfig(a.config), flatConfig(b.config)),
    variables: variableChanges(a.variables, b.variables),
  };
}
