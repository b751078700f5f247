import "server-only";
import { STOP_REASONS, type AnthropicImageBlock, type AnthropicResponse, type AnthropicUsage } from "./anthropic.ts";
import type { MessagesBlock, MessagesCountRequest } from "./messages-request.ts";
import type {
  ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, ChatContentPart, ChatMessage, ChatTool, ChatToolChoice, FinishReason, Usage,
} from "./types.ts";
import { isUsageChunk } from "./usage.ts";

// Anthropic Messages clients -> the canonical request, and canonical answers
// -> Anthropic's message object and event stream: the reverse of
// anthropic.ts, which translates the canonical request for Anthropic
// upstreams (its stop-reason table and usage arithmetic are shared). Used
// when a Messages call is served by an OpenAI-compatible account or the
// simulator; an Anthropic account gets the client's body as sent (native).
// What the chat shape cannot carry: thinking blocks, top_k, cache_control,
// citations, documents other than plain text, and Anthropic's own tools
// (those mark the request untranslatable, so only Anthropic accounts serve it).

export type TranslatedMessages = {
  request: ChatCompletionRequest;
  /** Why only an Anthropic account can serve this request, when it uses something a translation cannot carry. */
  untranslatable?: string;
};

const str = (v: unknown): string => (typeof v === "string" ? v : "");

function textOfBlocks(blocks: string | readonly MessagesBlock[] | undefined): string {
  if (typeof blocks === "string") return blocks;
  return (blocks ?? []).map((b) => (b.type === "text" ? str(b.text) : "")).filter(Boolean).join("\n\n");
}

function imageUrl(b: MessagesBlock): string | null {
  const source = b.source as AnthropicImageBlock["source"] | { type?: string } | undefined;
  if (source?.type === "base64" && "data" in source) return `data:${source.media_type};base64,${source.data}`;
  if (source?.type === "url" && "url" in source) return source.url;
  return null;
}

function toolResultText(b: MessagesBlock): string {
  const content = b.content as string | MessagesBlock[] | undefined;
  const text = typeof content === "string" ? content : textOfBlocks(content);
  // OpenAI's tool message has no error flag; the model still needs to know.
  return b.is_error === true ? `Error: ${text}` : text;
}

function toolChoice(choice: MessagesCountRequest["tool_choice"]): ChatToolChoice | undefined {
  switch (choice?.type) {
    case "auto":
      return "auto";
    case "any":
      return "required";
    case "none":
      return "none";
    case "tool":
      return choice.name ? { type: "function", function: { name: choice.name } } : "required";
    default:
      return undefined;
  }
}

/** The canonical request for an Anthropic Messages request (max_tokens is optional only for count_tokens). */
export function fromAnthropicRequest(body: MessagesCountRequest): TranslatedMessages {
  let untranslatable: string | undefined;
  const refuse = (what: string) => {
    untranslatable ??= `This request uses ${what}, which only an Anthropic account can serve, and no Anthropic account serves the model '${body.model}'`;
  };
  const messages: ChatMessage[] = [];
  const system = textOfBlocks(body.system as string | MessagesBlock[] | undefined);
  if (system) messages.push({ role: "system", content: system });

  for (const m of body.messages) {
    const blocks = m.content as string | MessagesBlock[];
    if (typeof blocks === "string") {
      messages.push({ role: m.role, content: blocks });
      continue;
    }
    if (m.role === "user") {
      const parts: ChatContentPart[] = [];
      for (const b of blocks) {
        if (b.type === "text") parts.push({ type: "text", text: str(b.text) });
        else if (b.type === "image") {
          const url = imageUrl(b);
          if (url) parts.push({ type: "image_url", image_url: { url } });
          else refuse("an image from the Files API");
        } else if (b.type === "tool_result") {
          // Tool results answer the previous assistant turn, so they come before the turn's own text.
          messages.push({ role: "tool", tool_call_id: str(b.tool_use_id), content: toolResultText(b) });
        } else if (b.type === "document" && (b.source as { type?: string } | undefined)?.type === "text") {
          parts.push({ type: "text", text: str((b.source as { data?: unknown }).data) });
        } else refuse(`a "${b.type}" content block`);
      }
      if (parts.length === 1 && parts[0]?.type === "text") messages.push({ role: "user", content: parts[0].text });
      else if (parts.length) messages.push({ role: "user", content: parts });
      continue;
    }
    let text = "";
    const toolCalls: NonNullable<ChatMessage["tool_calls"]> = [];
    for (const b of blocks) {
      if (b.type === "text") text += str(b.text);
      else if (b.type === "tool_use") {
        toolCalls.push({ id: str(b.id), type: "function", function: { name: str(b.name), arguments: JSON.stringify(b.input ?? {}) } });
      } else if (b.type === "thinking" || b.type === "redacted_thinking") {
        // The chat shape has no place for a previous turn's reasoning; the model does without it.
      } else refuse(`a "${b.type}" content block`);
    }
    if (text || toolCalls.length) messages.push({ role: "assistant", content: text || null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) });
  }

  const tools: ChatTool[] = [];
  for (const t of body.tools ?? []) {
    if (t.type && t.type !== "custom") {
      refuse(`Anthropic's own tool "${t.name}" (${t.type})`);
      continue;
    }
    tools.push({
      type: "function",
      function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.input_schema ?? { type: "object", properties: {} } },
    });
  }

  const request: ChatCompletionRequest = { model: body.model, messages };
  if (body.max_tokens !== undefined) request.max_tokens = body.max_tokens;
  if (body.stop_sequences?.length) request.stop = body.stop_sequences;
  if (body.temperature !== undefined) request.temperature = body.temperature;
  if (body.top_p !== undefined) request.top_p = body.top_p;
  if (tools.length) request.tools = tools;
  const choice = toolChoice(body.tool_choice);
  if (choice && (tools.length || choice === "none")) request.tool_choice = choice;
  if (body.tool_choice?.disable_parallel_tool_use === true && tools.length) request.parallel_tool_calls = false;
  const user = body.metadata?.user_id;
  if (typeof user === "string" && user) request.user = user.slice(0, 256);
  if (body.stream) {
    request.stream = true;
    request.stream_options = { include_usage: true };
  }
  return untranslatable ? { request, untranslatable } : { request };
}

// ---- Answers: canonical -> Anthropic ----------------------------------------

export function anthropicStopReason(finish: FinishReason | null | undefined, hasToolUse: boolean): string {
  // Some OpenAI-compatible servers say "stop" after tool calls; a client waits for tool_use to run them.
  if (hasToolUse && (finish === "stop" || finish === "tool_calls" || finish == null)) return "tool_use";
  return STOP_REASONS.find(([, f]) => f === finish)?.[0] ?? (finish === "function_call" ? "tool_use" : "end_turn");
}

/** The reverse of toOpenAIUsage: Anthropic's input_tokens exclude cache reads and writes. */
export function toAnthropicUsage(u: Usage | null | undefined): Required<{ [K in keyof AnthropicUsage]: number }> {
  const read = u?.prompt_tokens_details?.cached_tokens ?? 0;
  const write = u?.prompt_tokens_details?.cache_creation_tokens ?? 0;
  return {
    input_tokens: Math.max(0, (u?.prompt_tokens ?? 0) - read - write),
    output_tokens: u?.completion_tokens ?? 0,
    cache_creation_input_tokens: write,
    cache_read_input_tokens: read,
  };
}

function toolInput(args: string): unknown {
  try {
    const input: unknown = JSON.parse(args || "{}");
    return typeof input === "object" && input !== null && !Array.isArray(input) ? input : {};
  } catch {
    return {};
  }
}

/** Anthropic's message object for a canonical completion. */
export function toAnthropicMessage(c: ChatCompletion, id: string): AnthropicResponse {
  const message = c.choices[0]?.message;
  const content: AnthropicResponse["content"] = [];
  if (message?.content) content.push({ type: "text", text: message.content });
  for (const t of message?.tool_calls ?? []) content.push({ type: "tool_use", id: t.id, name: t.function.name, input: toolInput(t.function.arguments) });
  return {
    id,
    type: "message",
    role: "assistant",
    model: c.model,
    content,
    stop_reason: anthropicStopReason(c.choices[0]?.finish_reason, (message?.tool_calls?.length ?? 0) > 0),
    stop_sequence: null,
    usage: toAnthropicUsage(c.usage),
  };
}

export type AnthropicEvent = readonly [event: string, data: unknown];

/**
 * Canonical chunks -> Anthropic's event sequence: message_start, ping, then
 * per content block content_block_start, its deltas (text_delta,
 * input_json_delta, thinking_delta) and content_block_stop, then
 * message_delta (stop_reason, usage) and message_stop once the final usage
 * chunk arrives. Each tool call is one tool_use block. Servers stream tool
 * calls one after another, so a block is stopped when the next one starts; a
 * server that interleaves parallel calls still has every argument delta sent
 * to its own block (deltas name their block, and the SDKs accumulate by it).
 */
export class AnthropicEventEncoder {
  private started = false;
  private stopped = false;
  /** The open block. */
  private current: { kind: "text" | "thinking" | "tool"; index: number } | null = null;
  /** Each tool call's block, by the canonical tool-call index. */
  private tools = new Map<number, number>();
  private nextIndex = 0;
  private finish: FinishReason | null = null;
  private toolUse = false;

  constructor(private readonly id: string, private model: string) {}

  get ended(): boolean {
    return this.stopped;
  }

  private start(out: AnthropicEvent[]): void {
    if (this.started) return;
    this.started = true;
    // Input tokens are known only at the end (the usage chunk); message_delta carries them.
    out.push(["message_start", {
      type: "message_start",
      message: {
        id: this.id, type: "message", role: "assistant", model: this.model, content: [], stop_reason: null, stop_sequence: null,
        usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
    }]);
    out.push(["ping", { type: "ping" }]);
  }

  private stop(out: AnthropicEvent[], index: number): void {
    out.push(["content_block_stop", { type: "content_block_stop", index }]);
  }

  private close(out: AnthropicEvent[]): void {
    if (this.current) this.stop(out, this.current.index);
    this.current = null;
  }

  private openBlock(out: AnthropicEvent[], block: Record<string, unknown>): number {
    const index = this.nextIndex++;
    out.push(["content_block_start", { type: "content_block_start", index, content_block: block }]);
    return index;
  }

  private delta(out: AnthropicEvent[], index: number, delta: Record<string, unknown>): void {
    out.push(["content_block_delta", { type: "content_block_delta", index, delta }]);
  }

  private prose(out: AnthropicEvent[], kind: "text" | "thinking", text: string): void {
    if (this.current?.kind !== kind) {
      this.close(out);
      this.current = { kind, index: this.openBlock(out, kind === "text" ? { type: "text", text: "" } : { type: "thinking", thinking: "", signature: "" }) };
    }
    this.delta(out, this.current.index, kind === "text" ? { type: "text_delta", text } : { type: "thinking_delta", thinking: text });
  }

  /** The events one canonical chunk produces (often none). */
  events(chunk: ChatCompletionChunk): AnthropicEvent[] {
    const out: AnthropicEvent[] = [];
    if (this.stopped) return out;
    if (!this.started && chunk.model) this.model = chunk.model;
    this.start(out);
    if (isUsageChunk(chunk)) return this.end(chunk.usage, out);
    for (const choice of chunk.choices) {
      const d = choice.delta;
      // DeepSeek-style servers stream their reasoning beside the content.
      const reasoning = d.reasoning_content ?? d.reasoning;
      if (typeof reasoning === "string" && reasoning) this.prose(out, "thinking", reasoning);
      if (typeof d.content === "string" && d.content) this.prose(out, "text", d.content);
      for (const t of d.tool_calls ?? []) {
        let index = this.tools.get(t.index);
        if (index === undefined) {
          this.close(out);
          this.toolUse = true;
          index = this.openBlock(out, { type: "tool_use", id: t.id || `toolu_${this.id.slice(4)}_${t.index}`, name: t.function?.name ?? "", input: {} });
          this.tools.set(t.index, index);
          this.current = { kind: "tool", index };
        }
        const args = t.function?.arguments;
        if (args) this.delta(out, index, { type: "input_json_delta", partial_json: args });
      }
      if (choice.finish_reason) this.finish = choice.finish_reason;
    }
    return out;
  }

  /** The closing events: the open block's stop, message_delta with the stop reason and usage, message_stop. */
  end(usage: Usage | null | undefined, out: AnthropicEvent[] = []): AnthropicEvent[] {
    if (this.stopped) return out;
    this.start(out);
    this.stopped = true;
    this.close(out);
    out.push(["message_delta", {
      type: "message_delta",
      delta: { stop_reason: anthropicStopReason(this.finish, this.toolUse), stop_sequence: null },
      usage: toAnthropicUsage(usage),
    }]);
    out.push(["message_stop", { type: "message_stop" }]);
    return out;
  }
}
