// The editor's form state and its conversion to and from a version's content.
// Pure functions: the store and the forms share them.
import type { MessageRole, PromptContentInput, VariableType, VersionView } from "@/lib/prompts/schemas";

export type MessageRow = { id: string; role: MessageRole; content: string };
export type VariableRow = {
  id: string; name: string; type: VariableType; required: boolean; defaultText: string; description: string; valuesText: string;
};
export type ConfigForm = {
  model: string; temperature: string; max_tokens: string; top_p: string; stop: string; response_format: "" | "text" | "json_object"; extra: string;
};
export type Draft = { type: "chat" | "text"; messages: MessageRow[]; text: string; variables: VariableRow[]; config: ConfigForm };

let seq = 0;
export const rowId = () => `r${++seq}`;

const show = (v: unknown) => (v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v));

export function emptyDraft(): Draft {
  return {
    type: "chat",
    messages: [
      { id: rowId(), role: "system", content: "You are a helpful assistant." },
      { id: rowId(), role: "user", content: "{{question}}" },
    ],
    text: "",
    variables: [{ id: rowId(), name: "question", type: "string", required: true, defaultText: "", description: "", valuesText: "" }],
    config: { model: "sim-small", temperature: "", max_tokens: "", top_p: "", stop: "", response_format: "", extra: "" },
  };
}

export function draftFromVersion(v: Pick<VersionView, "type" | "messages" | "text" | "variables" | "config">): Draft {
  const c = v.config;
  return {
    type: v.type,
    messages: (v.messages ?? []).map((m) => ({ id: rowId(), role: m.role, content: m.content })),
    text: v.text ?? "",
    variables: v.variables.map((d) => ({
      id: rowId(), name: d.name, type: d.type, required: d.required, defaultText: show(d.default), description: d.description ?? "",
      valuesText: (d.values ?? []).join(", "),
    })),
    config: {
      model: c.model ?? "",
      temperature: show(c.temperature),
      max_tokens: show(c.max_tokens),
      top_p: show(c.top_p),
      stop: (c.stop ?? []).join(", "),
      response_format: (c.response_format?.type === "text" || c.response_format?.type === "json_object" ? c.response_format.type : "") as ConfigForm["response_format"],
      extra: c.extra && Object.keys(c.extra).length ? JSON.stringify(c.extra, null, 2) : "",
    },
  };
}

/** A typed value from what the user typed for a variable of this type; strings stay strings. */
export function parseTyped(type: VariableType, text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  if (type === "string" || type === "enum") return { ok: true, value: text };
  if (type === "number") {
    const n = Number(text);
    return text.trim() !== "" && Number.isFinite(n) ? { ok: true, value: n } : { ok: false, message: "must be a number" };
  }
  if (type === "boolean") return text === "true" || text === "false" ? { ok: true, value: text === "true" } : { ok: false, message: "must be true or false" };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, message: "must be valid JSON" };
  }
}

const num = (s: string) => (s.trim() === "" ? undefined : Number(s));

/** The content the API expects; form-level problems (bad JSON, bad numbers) are reported by field. */
export function draftToContent(d: Draft): { content?: PromptContentInput; problems: Record<string, string> } {
  const problems: Record<string, string> = {};
  const variables = d.variables.map((v, i) => {
    let def: unknown;
    if (v.defaultText.trim() !== "") {
      const p = parseTyped(v.type, v.defaultText);
      if (p.ok) def = p.value;
      else problems[`variables.${i}.default`] = `Default of '${v.name}' ${p.message}`;
    }
    return {
      name: v.name.trim(), type: v.type, required: v.required, description: v.description,
      ...(def !== undefined ? { default: def } : {}),
      ...(v.type === "enum" ? { values: v.valuesText.split(",").map((s) => s.trim()).filter(Boolean) } : {}),
    };
  });
  let extra: Record<string, unknown> | undefined;
  if (d.config.extra.trim()) {
    try {
      const parsed = JSON.parse(d.config.extra) as unknown;
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error();
      extra = parsed as Record<string, unknown>;
    } catch {
      problems["config.extra"] = "Extra fields must be a JSON object";
    }
  }
  for (const k of ["temperature", "max_tokens", "top_p"] as const) {
    const v = num(d.config[k]);
    if (v !== undefined && !Number.isFinite(v)) problems[`config.${k}`] = `${k} must be a number`;
  }
  if (Object.keys(problems).length) return { problems };
  const stop = d.config.stop.split(",").map((s) => s.trim()).filter(Boolean);
  const config = {
    ...(d.config.model.trim() ? { model: d.config.model.trim() } : {}),
    ...(num(d.config.temperature) !== undefined ? { temperature: num(d.config.temperature) } : {}),
    ...(num(d.config.max_tokens) !== undefined ? { max_tokens: num(d.config.max_tokens) } : {}),
    ...(num(d.config.top_p) !== undefined ? { top_p: num(d.config.top_p) } : {}),
    ...(stop.length ? { stop } : {}),
    ...(d.config.response_format ? { response_format: { type: d.config.response_format } } : {}),
    ...(extra ? { extra } : {}),
  };
  const content: PromptContentInput =
    d.type === "chat"
      ? { type: "chat", messages: d.messages.map((m) => ({ role: m.role, content: m.content })), variables, config }
      : { type: "text", text: d.text, variables, config };
  return { content, problems };
}
