import "server-only";
import { AppError, json, sseEvent, sseStream, toAppError, type Principal } from "@/lib/core";
import { segmentOf } from "@/lib/filters";
import { logger } from "@/lib/observability";
import {
  isUsageChunk, type ChatCompletion, type ChatCompletionChunk, type ChatCompletionRequest, type ChatContentPart, type ChatMessage,
  type ChatTool, type ChatToolChoice, type FinishReason, type Usage,
} from "@/lib/providers";
import { loadResponse, saveResponse } from "@/lib/responses";
import type { UsageMetadata } from "@/lib/usage";
import { createCall, type CallOptions, type NativeCall } from "../call";
import { runCall, StreamFailure, type CallResult } from "../pipeline";
import { assertMayComplete } from "../scopes";
import { chatCompletionRequest, type ResponsesRequest } from "../schemas";

// Ingress for OpenAI's Responses dialect (/api/v1/responses). The request is
// translated to the canonical chat request (input items → messages,
// instructions → a system message, function tools, text.format →
// response_format) and the answer back to a Response object, or, streamed, to
// the Responses event sequence (response.created … response.completed, each
// with its sequence_number). What a chat upstream cannot do (built-in tools,
// server-side items) is a 400 that names it, never a silent drop, unless an
// account that serves /v1/responses itself takes the call: then the client's
// body goes upstream natively (a NativeCall) and its events come back with
// Promptgate's ids. Stored responses (lib/responses) chain with
// previous_response_id whichever way the call went; nothing is read before the
// upstream unless the request names a stored response.

type Item = Record<string, unknown> & { type?: string; role?: string };
type OutputItem = Record<string, unknown> & { id: string; type: "message" | "function_call" };

/** A stored prompt already resolved by the caller (lib/completions): its request and call options. */
export type ResponsesTemplate = { request: ChatCompletionRequest; options: CallOptions };

const BUILT_IN_TOOLS = "Promptgate serves function tools only: run this tool in your application and declare it as a function tool";

function unsupported(message: string, param: string, code = "unsupported_parameter"): AppError {
  return new AppError("bad_request", message, { param, extra: { code } });
}

const apiKeyIdOf = (p: Principal): string | null => (p.kind === "apiKey" && p.key.id ? p.key.id : null);

/**
 * What happens to a piece a chat upstream cannot carry (a built-in tool, its items): throw the 400 that
 * names it, or, when the call may still go natively to an upstream that speaks Responses, note it and
 * leave the piece out of the canonical request (which then only serves admission and counting).
 */
type Fail = (err: AppError) => void;
const refuse: Fail = (err) => {
  throw err;
};

// ------------------------------------------------------------------ request

function textOfParts(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((p: Record<string, unknown>) => (typeof p?.text === "string" ? p.text : typeof p?.refusal === "string" ? p.refusal : "")).join("");
}

function contentPart(p: Record<string, unknown>, param: string, fail: Fail): ChatContentPart | null {
  switch (p.type) {
    case "input_text":
    case "output_text":
    case "text":
      return { type: "text", text: String(p.text ?? "") };
    case "refusal":
      return { type: "text", text: String(p.refusal ?? "") };
    case "input_image": {
      if (typeof p.image_url !== "string") {
        fail(unsupported("Images by file_id are not supported: send image_url (a URL or a data: URL)", `${param}.image_url`));
        return null;
      }
      const detail = p.detail === "low" || p.detail === "high" ? p.detail : "auto";
      return { type: "image_url", image_url: { url: p.image_url, detail } };
    }
    case "input_file": {
      if (typeof p.file_data !== "string") {
        fail(unsupported("Files by file_id or file_url are not supported: send file_data", `${param}.file_data`));
        return null;
      }
      return { type: "file", file: { file_data: p.file_data, ...(typeof p.filename === "string" ? { filename: p.filename } : {}) } };
    }
    case "input_audio":
      return { type: "input_audio", input_audio: p.input_audio as { data: string; format: string } };
    default:
      fail(unsupported(`The content part type '${String(p.type)}' is not supported`, `${param}.type`));
      return null;
  }
}

function messageOf(item: Item, param: string, fail: Fail): ChatMessage {
  const role = item.role === "developer" ? "system" : item.role;
  if (role !== "user" && role !== "system" && role !== "assistant") {
    throw unsupported(`The message role '${String(item.role)}' is not supported (user, assistant, system, developer)`, `${param}.role`);
  }
  const c = item.content;
  if (typeof c === "string") return { role, content: c };
  if (!Array.isArray(c)) throw unsupported("A message needs content: a string or an array of content parts", `${param}.content`);
  // The assistant's own turns are text in the chat dialect; a user's may carry images and files.
  if (role === "assistant") return { role, content: textOfParts(c) };
  const parts = c.map((p: Record<string, unknown>, j: number) => contentPart(p, `${param}.content[${j}]`, fail)).filter((p): p is ChatContentPart => p !== null);
  const only = parts.length === 1 ? parts[0] : undefined;
  return { role, content: only?.type === "text" ? only.text : parts };
}

/** Responses input items → chat messages. A run of function_call items is one assistant turn with tool_calls. */
export function messagesOf(items: Item[], param = "input", fail: Fail = refuse): ChatMessage[] {
  const out: ChatMessage[] = [];
  items.forEach((item, i) => {
    const at = `${param}[${i}]`;
    const type = item.type ?? "message";
    if (type === "message") {
      out.push(messageOf(item, at, fail));
    } else if (type === "function_call") {
      const call = { id: String(item.call_id ?? item.id ?? ""), type: "function", function: { name: String(item.name ?? ""), arguments: typeof item.arguments === "string" ? item.arguments : JSON.stringify(item.arguments ?? {}) } };
      if (!call.id || !call.function.name) throw unsupported("A function_call item needs call_id and name", at);
      const last = out.at(-1);
      if (last?.role === "assistant") (last.tool_calls ??= []).push(call);
      else out.push({ role: "assistant", content: null, tool_calls: [call] });
    } else if (type === "function_call_output") {
      if (typeof item.call_id !== "string") throw unsupported("A function_call_output item needs call_id", `${at}.call_id`);
      out.push({ role: "tool", tool_call_id: item.call_id, content: typeof item.output === "string" ? item.output : textOfParts(item.output) });
    } else if (type === "reasoning") {
      // A reasoning model's own state: a chat upstream has no place for it, and the answer does not need it.
    } else {
      fail(unsupported(`The input item type '${type}' is not supported: ${BUILT_IN_TOOLS}`, `${at}.type`));
    }
  });
  return out;
}

function toolsOf(tools: NonNullable<ResponsesRequest["tools"]>, fail: Fail): ChatTool[] {
  return tools.flatMap((t, i) => {
    if (t.type !== "function") {
      fail(unsupported(`The built-in tool '${t.type}' is not supported: ${BUILT_IN_TOOLS}`, `tools[${i}].type`, "unsupported_tool"));
      return [];
    }
    if (typeof t.name !== "string" || !t.name) throw unsupported("A function tool needs a name", `tools[${i}].name`);
    const fn: ChatTool["function"] = { name: t.name };
    if (typeof t.description === "string") fn.description = t.description;
    if (t.parameters && typeof t.parameters === "object") fn.parameters = t.parameters as Record<string, unknown>;
    if (typeof t.strict === "boolean") fn.strict = t.strict;
    return [{ type: "function", function: fn }];
  });
}

function toolChoiceOf(choice: NonNullable<ResponsesRequest["tool_choice"]>, fail: Fail): ChatToolChoice | undefined {
  if (typeof choice === "string") return choice;
  if (choice.type === "function" && typeof choice.name === "string") return { type: "function", function: { name: choice.name } };
  fail(unsupported(`The tool_choice type '${choice.type}' is not supported: ${BUILT_IN_TOOLS}`, "tool_choice.type", "unsupported_tool"));
  return undefined;
}

function responseFormatOf(format: Record<string, unknown> & { type: string }): ChatCompletionRequest["response_format"] | undefined {
  if (format.type === "text") return undefined;
  if (format.type === "json_object") return { type: "json_object" };
  if (format.type === "json_schema") {
    const { type: _type, ...schema } = format;
    return { type: "json_schema", json_schema: schema };
  }
  throw unsupported(`The text format '${format.type}' is not supported (text, json_object, json_schema)`, "text.format.type");
}

// Item ids carry their response's id (msg_<hex>_<n>), so an item_reference finds its stored response.
const itemId = (hex: string, kind: "msg" | "fc", n: number) => `${kind}_${hex}_${n}`;
const responseIdOfItem = (id: string) => /^[a-z]+_([0-9a-f]{32})_\d+$/.exec(id)?.[1];

/** Replaces item_reference items with the stored items they name (one read per referenced response). */
async function resolveReferences(items: Item[], apiKeyId: string | null): Promise<Item[]> {
  if (!items.some((i) => i.type === "item_reference")) return items;
  const loaded = new Map<string, Item[]>();
  const out: Item[] = [];
  for (const [i, item] of items.entries()) {
    if (item.type !== "item_reference") {
      out.push(item);
      continue;
    }
    const id = String(item.id ?? "");
    const hex = responseIdOfItem(id);
    let output = hex ? loaded.get(hex) : undefined;
    if (hex && !output && apiKeyId) {
      const stored = await loadResponse(apiKeyId, `resp_${hex}`);
      output = (stored?.response.output as Item[] | undefined) ?? [];
      loaded.set(hex, output);
    }
    const found = output?.find((o) => o.id === id);
    if (!found) throw new AppError("not_found", `Item with id '${id}' not found`, { param: `input[${i}].id`, extra: { code: "item_not_found" } });
    out.push(found);
  }
  return out;
}

type Translated = {
  request: ChatCompletionRequest;
  items: Item[];
  store: boolean;
  /** The body for an upstream that serves /v1/responses itself; null when the call must be translated (a stored prompt). */
  nativeBody: Record<string, unknown> | null;
  /** The first piece a translation cannot carry: the call may only go natively, else this is its 400. */
  untranslatable: AppError | null;
};

/** The canonical chat request for a Responses request, the native body, and the conversation items to store with its answer. */
async function translate(principal: Principal, body: ResponsesRequest, template: ResponsesTemplate | undefined): Promise<Translated> {
  if (body.background) throw unsupported("Background responses are not supported", "background");
  if (body.conversation) throw unsupported("Conversations are not supported: chain responses with previous_response_id", "conversation");
  // A Promptgate prompt is resolved here, so only a plain Responses request may go upstream as sent.
  const nativeOk = !template;
  let untranslatable: AppError | null = null;
  const fail: Fail = nativeOk ? (err) => void (untranslatable ??= err) : refuse;
  const apiKeyId = apiKeyIdOf(principal);
  let prior: Item[] = [];
  if (body.previous_response_id) {
    const prev = apiKeyId ? await loadResponse(apiKeyId, body.previous_response_id) : null;
    if (!prev) {
      throw new AppError("not_found", `Previous response with id '${body.previous_response_id}' not found.`, { param: "previous_response_id", extra: { code: "previous_response_not_found" } });
    }
    prior = [...(prev.items as Item[]), ...((prev.response.output as Item[] | undefined) ?? [])];
  }
  const input: Item[] = body.input === undefined ? [] : typeof body.input === "string" ? [{ type: "message", role: "user", content: body.input }] : (body.input as Item[]);
  const resolved = await resolveReferences(input, apiKeyId);
  const items = [...prior, ...resolved];

  const req: Record<string, unknown> = template ? { ...template.request } : {};
  delete req.stream;
  delete req.stream_options;
  if (body.model) req.model = body.model;
  req.messages = [
    ...(template?.request.messages ?? []),
    ...(body.instructions ? [{ role: "system", content: body.instructions }] : []),
    ...messagesOf(items, "input", fail),
  ];
  const tools = body.tools?.length ? toolsOf(body.tools, fail) : [];
  if (tools.length) req.tools = tools;
  const choice = body.tool_choice ? toolChoiceOf(body.tool_choice, fail) : undefined;
  if (choice && tools.length) req.tool_choice = choice;
  if (body.parallel_tool_calls != null && tools.length) req.parallel_tool_calls = body.parallel_tool_calls;
  if (body.text?.format) {
    const rf = responseFormatOf(body.text.format);
    if (rf) req.response_format = rf;
  }
  if (body.max_output_tokens != null) {
    delete req.max_tokens;
    req.max_completion_tokens = body.max_output_tokens;
  }
  if (body.temperature != null) req.temperature = body.temperature;
  if (body.top_p != null) req.top_p = body.top_p;
  const user = body.user ?? (typeof body.safety_identifier === "string" ? body.safety_identifier : undefined);
  // An experiment's subject travels as `user` (templateCall): the caller's own user does not replace it.
  if (user && !(template && template.options.experimentId)) req.user = user;
  const effort = (body.reasoning as { effort?: unknown } | null | undefined)?.effort;
  if (typeof effort === "string") req.reasoning_effort = effort;
  if (body.stream) req.stream = true;
  const request = chatCompletionRequest.parse(req) as ChatCompletionRequest;
  return { request, items, store: body.store !== false && apiKeyId !== null, nativeBody: nativeOk ? nativeBodyOf(body, items, prior.length > 0 || resolved !== input) : null, untranslatable };
}

/**
 * The client's body for a native upstream. Promptgate keeps the stored responses (the upstream stores
 * nothing: store false), so a chain or an item_reference goes up as the whole conversation, its items
 * without ids (they are Promptgate's) and without reasoning items (they need the upstream's own store).
 */
function nativeBodyOf(body: ResponsesRequest, items: Item[], chained: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body, store: false };
  delete out.stream;
  delete out.prompt;
  if (chained) {
    delete out.previous_response_id;
    out.input = items.filter((i) => i.type !== "reasoning").map(({ id: _id, ...rest }) => rest);
  }
  return out;
}

// ------------------------------------------------------------------ answer

type Shape = { id: string; hex: string; createdAt: number; body: ResponsesRequest; model: string; store: boolean };

function usageOf(u: Usage | null | undefined) {
  if (!u) return null;
  return {
    input_tokens: u.prompt_tokens,
    input_tokens_details: { cached_tokens: u.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: u.completion_tokens,
    output_tokens_details: { reasoning_tokens: u.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: u.total_tokens,
  };
}

function statusOf(finish: FinishReason | null | undefined): { status: "completed" | "incomplete"; incomplete_details: { reason: string } | null } {
  if (finish === "length") return { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } };
  if (finish === "content_filter") return { status: "incomplete", incomplete_details: { reason: "content_filter" } };
  return { status: "completed", incomplete_details: null };
}

/** The Response object around `output`, echoing the request's settings as OpenAI does. */
function responseObject(s: Shape, fields: { status: string; output: OutputItem[]; usage?: ReturnType<typeof usageOf>; error?: unknown; incomplete_details?: unknown; model?: string }) {
  const b = s.body;
  return {
    id: s.id,
    object: "response",
    created_at: s.createdAt,
    status: fields.status,
    background: false,
    error: fields.error ?? null,
    incomplete_details: fields.incomplete_details ?? null,
    instructions: b.instructions ?? null,
    max_output_tokens: b.max_output_tokens ?? null,
    model: fields.model ?? s.model,
    output: fields.output,
    parallel_tool_calls: b.parallel_tool_calls ?? true,
    previous_response_id: b.previous_response_id ?? null,
    prompt: b.prompt ?? null,
    reasoning: { effort: null, summary: null },
    store: s.store,
    temperature: b.temperature ?? 1,
    text: b.text ?? { format: { type: "text" } },
    tool_choice: b.tool_choice ?? "auto",
    tools: b.tools ?? [],
    top_p: b.top_p ?? 1,
    truncation: "disabled",
    usage: fields.usage ?? null,
    user: b.user ?? null,
    metadata: b.metadata ?? {},
  };
}

const textPart = (text: string) => ({ type: "output_text", text, annotations: [], logprobs: [] });

function outputOf(s: Shape, completion: ChatCompletion): OutputItem[] {
  const msg = completion.choices[0]?.message;
  const out: OutputItem[] = [];
  if (!msg) return out;
  const content: unknown[] = [];
  if (typeof msg.content === "string" && msg.content) content.push(textPart(msg.content));
  if (typeof msg.refusal === "string" && msg.refusal) content.push({ type: "refusal", refusal: msg.refusal });
  if (content.length) out.push({ id: itemId(s.hex, "msg", out.length), type: "message", status: "completed", role: "assistant", content });
  for (const tc of msg.tool_calls ?? []) {
    out.push({ id: itemId(s.hex, "fc", out.length), type: "function_call", status: "completed", call_id: tc.id, name: tc.function.name, arguments: tc.function.arguments });
  }
  return out;
}

/** POST /api/v1/responses: a Responses request through the one pipeline, answered as a Response or its event stream. */
export async function responses(principal: Principal, body: ResponsesRequest, signal: AbortSignal, template?: ResponsesTemplate): Promise<Response> {
  assertMayComplete(principal);
  const t = await translate(principal, body, template);
  const options: CallOptions = {
    ...template?.options,
    surface: "responses",
    metadata: (body.metadata as UsageMetadata | null | undefined) ?? template?.options.metadata ?? null,
    bodyExtras: undefined,
  };
  const untranslatable: AppError | null = t.untranslatable;
  const native: NativeCall | undefined = t.nativeBody
    ? { dialect: "openai-responses", request: { body: t.nativeBody }, ...(untranslatable ? { untranslatable: untranslatable.message } : {}) }
    : undefined;
  const call = createCall(principal, t.request, signal, options, native);
  const hex = call.id.slice(call.id.indexOf("-") + 1);
  const shape: Shape = { id: `resp_${hex}`, hex, createdAt: Math.floor(Date.now() / 1000), body, model: t.request.model, store: t.store };
  const apiKeyId = apiKeyIdOf(principal);
  // The answer is already paid for: a store that fails (the database is down) is a warning and `store: false`
  // in what the client gets, not a failed call; only a later call that names this response needs the database.
  const keep = async (response: Record<string, unknown>) => {
    if (!t.store || !apiKeyId) return;
    try {
      await saveResponse(apiKeyId, { id: shape.id, response, items: t.items });
    } catch (err) {
      logger.warn({ err, responseId: shape.id }, "stored response not saved");
      response.store = false;
    }
  };
  let result: CallResult;
  try {
    result = await runCall(call);
  } catch (err) {
    // No account speaks Responses natively: the piece the translation cannot carry is named, as it would be without native accounts.
    if (untranslatable && err instanceof AppError && err.details.extra?.code === "untranslatable_request") {
      untranslatable.details.headers = { ...err.details.headers, ...untranslatable.details.headers };
      throw untranslatable;
    }
    throw err;
  }
  switch (result.kind) {
    case "completion": {
      const completion = result.completion;
      const response = responseObject(shape, {
        ...statusOf(completion.choices[0]?.finish_reason), output: outputOf(shape, completion), usage: usageOf(completion.usage), model: completion.model || shape.model,
      });
      await keep(response);
      return json(response, { headers: result.headers });
    }
    case "native": {
      const response = adopt(result.body as Record<string, unknown>, shape, new ItemIds(shape.hex));
      await keep(response);
      return json(response, { headers: result.headers });
    }
    case "native-stream":
      return nativeStreamed(shape, result, keep);
    default:
      return streamed(shape, result, keep);
  }
}

// ------------------------------------------------------------------ native

/** Upstream item ids → Promptgate's (<prefix>_<hex>_<output index>), so item_reference and chains find them here. */
class ItemIds {
  private readonly ids = new Map<string, string>();
  constructor(private readonly hex: string) {}
  adopt(item: Record<string, unknown>, index: number): void {
    const upstream = typeof item.id === "string" ? item.id : "";
    let id = this.ids.get(upstream);
    if (!id) {
      id = `${/^([a-z]+)_/.exec(upstream)?.[1] ?? "item"}_${this.hex}_${index}`;
      if (upstream) this.ids.set(upstream, id);
    }
    item.id = id;
  }
  of(upstream: unknown): unknown {
    return typeof upstream === "string" ? (this.ids.get(upstream) ?? upstream) : upstream;
  }
}

/** The upstream's Response as Promptgate's: its id, item ids, and the client's own store and chain. */
function adopt(r: Record<string, unknown>, s: Shape, ids: ItemIds): Record<string, unknown> {
  r.id = s.id;
  r.store = s.store;
  r.previous_response_id = s.body.previous_response_id ?? null;
  if (Array.isArray(r.output)) (r.output as Record<string, unknown>[]).forEach((item, i) => ids.adopt(item, i));
  return r;
}

type NativeStreamResult = Extract<CallResult, { kind: "native-stream" }>;

/** The upstream's own events, relayed with Promptgate's ids; its sequence numbers are kept. */
function nativeStreamed(s: Shape, result: NativeStreamResult, keep: (r: Record<string, unknown>) => Promise<void>): Response {
  const ids = new ItemIds(s.hex);
  const seq = { next: 0 };
  let closedByClient = false;
  let last: Record<string, unknown> | null = null;
  async function* events(): AsyncGenerator<Event> {
    for (;;) {
      const r = await result.events.next();
      if (closedByClient || r.done) return;
      const e = JSON.parse(r.value.data) as Event;
      if (typeof e.sequence_number === "number") seq.next = e.sequence_number + 1;
      if (e.response && typeof e.response === "object") last = adopt(e.response as Record<string, unknown>, s, ids);
      if (e.item && typeof e.item === "object" && typeof e.output_index === "number") ids.adopt(e.item as Record<string, unknown>, e.output_index);
      if ("item_id" in e) e.item_id = ids.of(e.item_id);
      if ((e.type === "response.completed" || e.type === "response.incomplete") && last) await keep(last);
      yield e;
    }
  }
  const failure = (err: AppError) => failureFrames(s, seq, (last?.output as OutputItem[] | undefined) ?? [], (last?.model as string | undefined) ?? s.model, err);
  return relayEvents(events(), result, failure, () => (closedByClient = true), (ret) => result.events.return?.(ret));
}

// ------------------------------------------------------------------ stream

type StreamResult = Extract<CallResult, { kind: "stream" }>;
type Event = { type: string; sequence_number?: number; [k: string]: unknown };

function streamed(s: Shape, result: StreamResult, keep: (r: ReturnType<typeof responseObject>) => Promise<void>): Response {
  const seq = { next: 0 };
  const output: OutputItem[] = [];
  let closedByClient = false;
  // The open message item (text arrives into its one output_text part) and the open function calls by chat index.
  let message: { item: OutputItem; index: number; text: string } | null = null;
  const calls = new Map<number, { item: OutputItem & { arguments: string }; index: number; done: boolean }>();
  let model = s.model;
  let usage: Usage | null = null;
  let finish: FinishReason | null = null;

  const ev = (type: string, data: Record<string, unknown>): Event => ({ type, sequence_number: seq.next++, ...data });

  function* openMessage(): Generator<Event> {
    if (message) return;
    const index = output.length;
    const item: OutputItem = { id: itemId(s.hex, "msg", index), type: "message", status: "in_progress", role: "assistant", content: [] };
    output.push(item);
    message = { item, index, text: "" };
    yield ev("response.output_item.added", { output_index: index, item: { ...item, content: [] } });
    yield ev("response.content_part.added", { item_id: item.id, output_index: index, content_index: 0, part: textPart("") });
  }

  function* closeMessage(): Generator<Event> {
    if (!message) return;
    const { item, index, text } = message;
    message = null;
    const part = textPart(text);
    item.content = [part];
    item.status = "completed";
    yield ev("response.output_text.done", { item_id: item.id, output_index: index, content_index: 0, text, logprobs: [] });
    yield ev("response.content_part.done", { item_id: item.id, output_index: index, content_index: 0, part });
    yield ev("response.output_item.done", { output_index: index, item: { ...item } });
  }

  function* closeCalls(): Generator<Event> {
    for (const c of calls.values()) {
      if (c.done) continue;
      c.done = true;
      c.item.status = "completed";
      yield ev("response.function_call_arguments.done", { item_id: c.item.id, output_index: c.index, name: c.item.name, arguments: c.item.arguments });
      yield ev("response.output_item.done", { output_index: c.index, item: { ...c.item } });
    }
  }

  async function* events(): AsyncGenerator<Event> {
    yield ev("response.created", { response: responseObject(s, { status: "in_progress", output: [] }) });
    yield ev("response.in_progress", { response: responseObject(s, { status: "in_progress", output: [] }) });
    for (;;) {
      const r = await result.chunks.next();
      if (closedByClient) return;
      if (r.done) break;
      const chunk: ChatCompletionChunk = r.value;
      if (result.filtered && segmentOf(chunk)) continue;
      if (isUsageChunk(chunk)) {
        usage = chunk.usage ?? null;
        continue;
      }
      if (chunk.model) model = chunk.model;
      for (const c of chunk.choices) {
        if (c.index !== 0) continue;
        const d = c.delta;
        if (typeof d.content === "string" && d.content) {
          // Text after tool calls is a new message item: the calls before it are complete.
          if (!message) yield* closeCalls();
          yield* openMessage();
          message!.text += d.content;
          yield ev("response.output_text.delta", { item_id: message!.item.id, output_index: message!.index, content_index: 0, delta: d.content, logprobs: [] });
        }
        for (const tc of d.tool_calls ?? []) {
          let open = calls.get(tc.index);
          if (!open || open.done) {
            yield* closeMessage();
            const index = output.length;
            const item = { id: itemId(s.hex, "fc", index), type: "function_call" as const, status: "in_progress", call_id: tc.id ?? `call_${s.hex}_${index}`, name: tc.function?.name ?? "", arguments: "" };
            output.push(item);
            open = { item, index, done: false };
            calls.set(tc.index, open);
            yield ev("response.output_item.added", { output_index: index, item: { ...item } });
          } else if (tc.function?.name && !open.item.name) {
            open.item.name = tc.function.name;
          }
          const delta = tc.function?.arguments;
          if (delta) {
            open.item.arguments += delta;
            yield ev("response.function_call_arguments.delta", { item_id: open.item.id, output_index: open.index, delta });
          }
        }
        if (c.finish_reason) finish = c.finish_reason;
      }
    }
    yield* closeMessage();
    yield* closeCalls();
    const { status, incomplete_details } = statusOf(finish);
    const response = responseObject(s, { status, incomplete_details, output, usage: usageOf(usage), model });
    // Stored before the client hears it is complete, so it can chain on it at once.
    await keep(response);
    yield ev(status === "completed" ? "response.completed" : "response.incomplete", { response });
  }

  const failure = (err: AppError) => failureFrames(s, seq, output, model, err);
  return relayEvents(events(), result, failure, () => (closedByClient = true), () => result.chunks.return?.());
}

/**
 * The end of a stream that failed after it started: response.failed (the response so far, with its error)
 * and OpenAI's error event, with the flat fields and the nested error the SDKs raise (the openai SDK
 * throws on it, the AI SDK reports an error part). Never response.completed.
 */
function failureFrames(s: Shape, seq: { next: number }, output: OutputItem[], model: string, err: AppError): Uint8Array {
  const error = { code: (err.details.extra?.code as string | undefined) ?? err.code, message: err.message };
  const failed = sseEvent("response.failed", { type: "response.failed", sequence_number: seq.next++, response: responseObject(s, { status: "failed", output, error, model }) });
  const type = err.details.type ?? "server_error";
  const param = err.details.param ?? null;
  const errorEvent = sseEvent("error", { type: "error", sequence_number: seq.next++, code: error.code, message: err.message, param, error: { type, code: error.code, message: err.message, param } });
  const frame = new Uint8Array(failed.length + errorEvent.length);
  frame.set(failed);
  frame.set(errorEvent, failed.length);
  return frame;
}

/** The SSE response for a stream of events; a client that goes away releases the upstream at once, even mid-read. */
function relayEvents(
  gen: AsyncGenerator<Event>, result: { headers: Record<string, string>; onInterrupt: (l: (err: AppError) => void) => void },
  failure: (err: AppError) => Uint8Array, markClosed: () => void, release: (value?: unknown) => unknown,
): Response {
  const items: AsyncIterator<Event> = {
    next: () => gen.next(),
    return: async (value?: unknown) => {
      markClosed();
      await release(value);
      return gen.return(value as undefined);
    },
  };
  const stream = sseStream(items, {
    headers: result.headers,
    encode: (e) => sseEvent(e.type, e),
    error: (err) => failure(err instanceof StreamFailure ? err.error : toAppError(err)),
  });
  result.onInterrupt((err) => stream.interrupt(failure(err)));
  return stream.response;
}
