import "server-only";
import { ZodError } from "zod";
import { chatCompletionRequest } from "@/lib/providers/schemas";
import { AppError, toAppError } from "@/lib/core";
import type { ChatCompletionRequest } from "@/lib/providers";
import type { CompletionRequest, ModelConfig } from "./schemas";

// A rendered prompt becomes an ordinary chat request: the version's model
// config, then the call's overrides, then the call's own fields. The
// completion itself is lib/completions' (prompts never call the gateway).

type Overrides = CompletionRequest["overrides"];

/** The chat request for rendered messages: config, then overrides, then the call's own fields. */
export function buildChatRequest(
  config: ModelConfig,
  messages: { role: string; content: string }[],
  call: { overrides?: Overrides; stream?: boolean; stream_options?: CompletionRequest["stream_options"]; user?: string },
): ChatCompletionRequest {
  const { extra, model, ...known } = config;
  const req: Record<string, unknown> = { ...extra };
  for (const [k, v] of Object.entries(known)) if (v !== undefined) req[k] = v;
  const chosenModel = call.overrides?.model || model;
  if (!chosenModel) {
    throw new AppError("validation_error", "This prompt version has no model in its config; send one in overrides.model", { param: "overrides.model" });
  }
  Object.assign(req, call.overrides ?? {});
  req.model = chosenModel;
  req.messages = messages;
  if (call.stream) req.stream = true;
  if (call.stream_options) req.stream_options = call.stream_options;
  if (call.user) req.user = call.user;
  try {
    return chatCompletionRequest.parse(req) as ChatCompletionRequest;
  } catch (e) {
    // Only a config's `extra` fields or loose overrides can get here: name them as sent.
    if (e instanceof ZodError) {
      const err = toAppError(e);
      const field = err.details.param;
      throw new AppError("validation_error", err.message, { param: field ? `overrides.${field}` : "overrides" });
    }
    throw e;
  }
}

