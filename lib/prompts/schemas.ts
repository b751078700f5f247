// Client-safe: zod schemas and types for prompts, shared by the domain, the
// routes and the console's forms. No server imports here.
import { z } from "zod";
import { NO_NUL, noNul, usageMetadata } from "@/lib/core/schemas";
import { maxTokensField, temperatureField, topPField } from "@/lib/providers/schemas";

export const PROMPT_NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;
/** Console routes live beside /prompts/<name>; these names would shadow them. */
export const RESERVED_PROMPT_NAMES: readonly string[] = ["new", "globals"];
export const LABEL_NAME = /^[a-z0-9][a-z0-9._-]{0,49}$/;
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Moved by every save; never by hand. */
export const LATEST_LABEL = "latest";
/** What resolution uses when a request names neither a label nor a version. */
export const DEFAULT_LABEL = "production";
/** Suggested in the console; any slug works. */
export const COMMON_LABELS = ["production", "staging"] as const;

/**
 * An include: `{{> name@label}}` or `{{> name#3}}` inlines another prompt of the
 * workspace, pinned to a label or a version number. `{{>` is Handlebars' partial
 * syntax, which templates could never use (partials are refused at save time),
 * so no saved template changes meaning; `@` and `#` cannot occur in a name.
 */
export const INCLUDE_PATTERN = /(?<!\{)\{\{>\s*([a-z0-9][a-z0-9._-]{0,99})(?:@([a-z0-9][a-z0-9._-]{0,49})|#([1-9][0-9]{0,8}))\s*\}\}/g;
/** Any include-like opening, to refuse what INCLUDE_PATTERN does not accept. */
export const INCLUDE_OPENING = /\{\{\{?\s*>/g;
/** How deep includes may nest below the prompt being rendered. */
export const MAX_INCLUDE_DEPTH = 5;
export type IncludeRef = { prompt: string; label: string | null; version: number | null; tag: string };
/** The includes of one template, in order (client-safe: the editor uses it too). */
export function includeRefs(source: string): IncludeRef[] {
  return [...source.matchAll(INCLUDE_PATTERN)].map((m) => ({ prompt: m[1]!, label: m[2] ?? null, version: m[3] ? Number(m[3]) : null, tag: m[0] }));
}
/** A prompt an include may name, with its labels: the editor's autocompletion. */
export type IncludeTarget = { name: string; labels: string[]; latestVersion: number | null };
/** The exact version an include resolved to: in the completion response and the usage event. */
export type IncludedVersion = { prompt: string; version: number; label: string | null };

export const MAX_TEMPLATE_CHARS = 100_000;
/** Upper bound on everything one render produces, across all messages. */
export const MAX_RENDERED_CHARS = 200_000;

export const variableTypes = ["string", "number", "boolean", "json", "enum"] as const;
export type VariableType = (typeof variableTypes)[number];

export const messageRoles = ["system", "developer", "user", "assistant"] as const;
export type MessageRole = (typeof messageRoles)[number];

export const promptName = z
  .string({ message: "is required" })
  .trim()
  .regex(PROMPT_NAME, "must be a lowercase slug: a-z, 0-9, '.', '_' or '-', at most 100 characters")
  .refine((n) => !RESERVED_PROMPT_NAMES.includes(n), "is reserved; choose another name");

export const labelName = z
  .string({ message: "is required" })
  .trim()
  .regex(LABEL_NAME, "must be a lowercase slug: a-z, 0-9, '.', '_' or '-', at most 50 characters");

const jsonValue: z.ZodType<unknown> = z.unknown().refine((v) => v !== undefined, "is required");

export type VariableDeclaration = {
  name: string;
  type: VariableType;
  required: boolean;
  default?: unknown;
  description: string;
  /** The allowed values of an enum. */
  values?: string[];
};

/** Why `value` does not fit the declaration, or null when it does. */
export function valueProblem(decl: Pick<VariableDeclaration, "type" | "values">, value: unknown): string | null {
  const got = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
  switch (decl.type) {
    case "string":
      return typeof value === "string" ? null : `must be a string, got ${got}`;
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? null : `must be a number, got ${got}`;
    case "boolean":
      return typeof value === "boolean" ? null : `must be a boolean, got ${got}`;
    case "enum":
      if (typeof value !== "string") return `must be one of ${(decl.values ?? []).join(", ")}, got ${got}`;
      return decl.values?.includes(value) ? null : `must be one of ${(decl.values ?? []).join(", ")}, got '${value.slice(0, 50)}'`;
    case "json":
      return value === undefined ? "is required" : null;
  }
}

export const variableDeclaration = z
  .object({
    name: z.string().trim().regex(VARIABLE_NAME, "must start with a letter or '_' and hold only letters, digits and '_'"),
    type: z.enum(variableTypes, { message: `must be one of ${variableTypes.join(", ")}` }).default("string"),
    required: z.boolean().default(true),
    default: z.unknown().optional(),
    description: z.string().max(500).default(""),
    values: z.array(z.string().min(1).max(200)).max(100).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.type === "enum" && !v.values?.length) ctx.addIssue({ code: "custom", path: ["values"], message: "an enum needs at least one value" });
    if (v.default !== undefined && v.default !== null) {
      const p = valueProblem(v, v.default);
      if (p) ctx.addIssue({ code: "custom", path: ["default"], message: `the default ${p}` });
    }
  })
  .transform((v): VariableDeclaration => {
    const out: VariableDeclaration = { name: v.name, type: v.type, required: v.required, description: v.description };
    if (v.default !== undefined && v.default !== null) out.default = v.default;
    if (v.type === "enum") out.values = v.values;
    return out;
  });

export const variableDeclarations = z
  .array(variableDeclaration)
  .max(100)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((v, i) => {
      if (seen.has(v.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `'${v.name}' is declared twice` });
      seen.add(v.name);
    });
  });

export const promptMessage = z.object({
  role: z.enum(messageRoles, { message: `must be one of ${messageRoles.join(", ")}` }),
  content: z.string().max(MAX_TEMPLATE_CHARS, `must be at most ${MAX_TEMPLATE_CHARS} characters`),
});
export type PromptMessage = z.infer<typeof promptMessage>;

/** Request fields that come from the call itself, never from a template's config. */
const NOT_CONFIGURABLE = ["messages", "stream", "stream_options", "user", "model"];

export const modelConfig = z.strictObject({
  model: z.string().trim().max(256).optional(),
  temperature: temperatureField.optional(),
  max_tokens: maxTokensField.optional(),
  top_p: topPField.optional(),
  stop: z.array(z.string().min(1).max(200)).max(4).optional(),
  response_format: z.looseObject({ type: z.enum(["text", "json_object", "json_schema"]) }).optional(),
  /** Any other request fields (seed, presence_penalty, tools…), passed through as they are. */
  extra: z
    .record(z.string(), z.unknown())
    .optional()
    .superRefine((extra, ctx) => {
      for (const k of Object.keys(extra ?? {})) {
        if (NOT_CONFIGURABLE.includes(k)) ctx.addIssue({ code: "custom", path: [k], message: `'${k}' cannot be set in the model config` });
      }
    }),
});
export type ModelConfig = z.infer<typeof modelConfig>;

/** What a version holds besides its bookkeeping. */
export const promptContent = z
  .object({
    type: z.enum(["chat", "text"]).default("chat"),
    // Nullable so that parsed content parses again unchanged (routes and the domain both parse).
    messages: z.array(promptMessage).max(100).nullish(),
    text: z.string().max(MAX_TEMPLATE_CHARS, `must be at most ${MAX_TEMPLATE_CHARS} characters`).nullish(),
    variables: variableDeclarations.default([]),
    config: modelConfig.default({}),
  })
  .superRefine((v, ctx) => {
    if (v.type === "chat" && !v.messages?.length) ctx.addIssue({ code: "custom", path: ["messages"], message: "a chat prompt needs at least one message" });
    if (v.type === "text" && !v.text?.trim()) ctx.addIssue({ code: "custom", path: ["text"], message: "a text prompt needs its text" });
  })
  .transform((v) =>
    v.type === "chat"
      ? { type: "chat" as const, messages: v.messages ?? [], text: null, variables: v.variables, config: v.config }
      : { type: "text" as const, messages: null, text: v.text ?? "", variables: v.variables, config: v.config },
  );
export type PromptContent = z.output<typeof promptContent>;
export type PromptContentInput = z.input<typeof promptContent>;

const commitMessage = z.string().trim().min(1, "is required: say what changed").max(500);
const tags = z.array(z.string().trim().min(1).max(50).regex(/^[^,\s]+$/, "must be one word")).max(20);
const labelsToSet = z.array(labelName).max(10).default([]);

export const createPromptInput = z.intersection(
  z.object({
    name: promptName,
    description: z.string().trim().max(1000).default(""),
    tags: tags.default([]),
    commitMessage: commitMessage.default("Initial version"),
    /** Labels to point at the first version besides `latest` (e.g. production). */
    labels: labelsToSet,
  }),
  promptContent,
);
export type CreatePromptInput = z.input<typeof createPromptInput>;

export const createPromptVersionInput = z.intersection(
  z.object({
    commitMessage,
    /**
     * The version the draft was based on. When given and someone saved a newer
     * version meanwhile, the save is refused with 409 instead of silently
     * replacing their change. Omit it to append unconditionally.
     */
    baseVersion: z.number().int().min(0).nullish(),
    labels: labelsToSet,
  }),
  promptContent,
);
export type CreatePromptVersionInput = z.input<typeof createPromptVersionInput>;

export const updatePromptInput = z.strictObject({
  description: z.string().trim().max(1000).optional(),
  tags: tags.optional(),
  /** Only admins may change it. */
  protectedLabels: z.array(labelName).max(20).optional(),
});
export type UpdatePromptInput = z.input<typeof updatePromptInput>;

export const moveLabelInput = z.strictObject({
  version: z.number({ message: "must be a version number" }).int().positive(),
});

export const globalVariableInput = z.strictObject({
  name: z.string().trim().regex(VARIABLE_NAME, "must start with a letter or '_' and hold only letters, digits and '_'"),
  value: jsonValue,
  description: z.string().trim().max(500).default(""),
});
export type GlobalVariableInput = z.input<typeof globalVariableInput>;

export const promptSelector = z
  .object({
    label: labelName.optional(),
    version: z.coerce.number().int().positive().optional(),
  })
  .refine((s) => !(s.label && s.version), { message: "send either 'label' or 'version', not both", path: ["version"] });

export const listPromptsQuery = z.object({
  q: z.string().trim().max(100).optional(),
  tag: z.string().trim().max(50).optional(),
});

export const diffQuery = z.object({
  from: z.coerce.number({ message: "must be a version number" }).int().positive(),
  to: z.coerce.number({ message: "must be a version number" }).int().positive(),
});

/** Per-request changes to the version's model config. */
export const completionOverrides = z
  .looseObject({
    model: z.string().trim().min(1).max(256).optional(),
    temperature: temperatureField.optional(),
    max_tokens: maxTokensField.optional(),
    top_p: topPField.optional(),
    stop: z.union([z.string(), z.array(z.string()).max(4)]).optional(),
    response_format: z.looseObject({ type: z.string() }).optional(),
  })
  .superRefine((o, ctx) => {
    for (const k of ["messages", "stream", "stream_options", "user"]) {
      if (k in o) ctx.addIssue({ code: "custom", path: [k], message: `'${k}' cannot be overridden; it comes from the template or the request` });
    }
  });

export const completionRequest = z
  .strictObject({
    prompt: z.string({ message: "is required: the prompt's name" }).trim().min(1, "is required").max(100),
    label: labelName.optional(),
    version: z.number().int().positive().optional(),
    variables: z.record(z.string(), z.unknown()).default({}),
    user: z.string().max(256).refine(noNul, NO_NUL).optional(),
    stream: z.boolean().optional(),
    stream_options: z.looseObject({ include_usage: z.boolean().optional() }).optional(),
    overrides: completionOverrides.optional(),
    metadata: usageMetadata.optional(),
  })
  .refine((r) => !(r.label && r.version), { message: "send either 'label' or 'version', not both", path: ["version"] });
export type CompletionRequest = z.output<typeof completionRequest>;

/** The console playground: a saved version or the unsaved draft, against one account. */
export const playgroundRequest = z.strictObject({
  prompt: z.string().trim().max(100).optional(),
  version: z.number().int().positive().optional(),
  draft: z.unknown().optional(),
  variables: z.record(z.string(), z.unknown()).default({}),
  accountId: z.string().uuid("must be an account id"),
  model: z.string().trim().min(1, "is required").max(256),
  overrides: completionOverrides.optional(),
});
export type PlaygroundRequest = z.input<typeof playgroundRequest>;

// ---------------------------------------------------------------- views

export type LabelView = { name: string; version: number; protected: boolean; updatedAt: string };

export type VersionSummary = {
  id: string;
  version: number;
  commitMessage: string;
  authorEmail: string | null;
  createdAt: string;
  labels: string[];
};

export type VersionView = VersionSummary & PromptContent;

export type PromptDetail = {
  id: string;
  name: string;
  description: string;
  tags: string[];
  protectedLabels: string[];
  createdAt: string;
  updatedAt: string;
  labels: LabelView[];
  versions: VersionSummary[];
};

export type PromptListItem = {
  name: string;
  description: string;
  tags: string[];
  updatedAt: string;
  latestVersion: number | null;
  productionVersion: number | null;
  labels: { name: string; version: number }[];
};

export type GlobalVariableView = { name: string; value: unknown; description: string; updatedAt: string };

export type WordChange = { value: string; added?: boolean; removed?: boolean };
export type MessageDiff = {
  index: number;
  status: "added" | "removed" | "changed" | "unchanged";
  before: PromptMessage | null;
  after: PromptMessage | null;
  roleChanged: boolean;
  parts: WordChange[];
};
export type FieldChange = { field: string; before: unknown; after: unknown };
export type VariableChange = { name: string; status: "added" | "removed" | "changed"; changes: FieldChange[] };
export type VersionDiff = {
  from: number | "draft";
  to: number | "draft";
  typeChanged: boolean;
  messages: MessageDiff[];
  config: FieldChange[];
  variables: VariableChange[];
};

export type RenderedPrompt = { messages: PromptMessage[]; chars: number };
export type PreviewResult =
  /** `declared`: the draft's variables and those its includes declare. */
  | { ok: true; messages: PromptMessage[]; chars: number; warnings: string[]; used: string[]; declared?: string[] }
  | { ok: false; error: { message: string; param?: string | null }; warnings: string[]; used: string[] };

/** A playground run's recorded numbers, once the batched usage writer has flushed its event. */
export type PlaygroundRun = {
  status: string;
  inputTokens: number;
  outputTokens: number;
  ttftMs: number | null;
  latencyMs: number;
  costUsd: number;
  priceKnown: boolean;
  servedModel: string | null;
};

// The word diff is client-safe too: the compare view diffs two outputs in the browser.
export { wordDiff, wordDiffStats } from "./word-diff";
