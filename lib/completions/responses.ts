import "server-only";
import { workspaceOf, type Principal } from "@/lib/core";
import { assertMayComplete, responses, type ResponsesRequest } from "@/lib/gateway";
import type { CompletionRequest } from "@/lib/prompts";
import { templateCall } from "./template";

// POST /api/v1/responses. With `prompt: {id, version?, variables}` the stored
// Promptgate prompt is the template-completion use case (templateCall: label
// default production, or a version, a running experiment's variant, typed
// variables with /api/completion's errors), and the Responses request's own
// input and settings are added to it; without, it is a plain Responses call.

// OpenAI's SDK types a variable as a string or an input_text part: the part is its text. Other values
// (numbers, booleans, JSON) go to the prompt's typed variables as sent, and are checked there.
const inputText = (v: unknown) =>
  v && typeof v === "object" && (v as { type?: unknown }).type === "input_text" && typeof (v as { text?: unknown }).text === "string" ? (v as { text: string }).text : v;

/** OpenAI's prompt reference in the words of /api/completion: id is the prompt name; version a number or a label. */
function completionRequestOf(body: ResponsesRequest): CompletionRequest {
  const p = body.prompt!;
  const v = p.version == null ? null : String(p.version);
  const byNumber = v !== null && /^\d+$/.test(v);
  return {
    prompt: p.id,
    ...(v === null ? {} : byNumber ? { version: Number(v) } : { label: v }),
    variables: Object.fromEntries(Object.entries(p.variables ?? {}).map(([k, v]) => [k, inputText(v)])),
    ...(body.user ? { user: body.user } : {}),
    ...(body.model ? { overrides: { model: body.model } } : {}),
    ...(body.metadata ? { metadata: body.metadata } : {}),
  };
}

export async function responsesCompletion(principal: Principal, body: ResponsesRequest, headers: Headers, signal: AbortSignal): Promise<Response> {
  if (!body.prompt) return responses(principal, body, signal);
  assertMayComplete(principal);
  const template = await templateCall(workspaceOf(principal), completionRequestOf(body), headers);
  return responses(principal, body, signal, template);
}
