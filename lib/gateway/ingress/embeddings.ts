import "server-only";
import { json, type Principal } from "@/lib/core";
import type { EmbeddingRequest } from "@/lib/providers";
import { createEmbeddingCall, type CallOptions } from "../call";
import { runEmbeddings } from "../pipeline";

// Ingress for OpenAI's embeddings dialect (/api/v1/embeddings). The request is
// the upstream's own wire format, and the answer is OpenAI's list as the
// adapter returns it (floats, or base64 when the client asked: the openai SDK
// asks by default and decodes it itself). Never streamed.

export async function embeddings(principal: Principal, request: EmbeddingRequest, signal: AbortSignal, options: CallOptions = {}): Promise<Response> {
  const result = await runEmbeddings(createEmbeddingCall(principal, request, signal, options));
  return json(result.response, { headers: result.headers });
}
