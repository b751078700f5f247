// POST /api/completion: render a prompt template (by label, default production,
// or version) with variables and complete it through the gateway, streamed or
// not; a running experiment on the label serves one of its variants.
import { apiRoute, methods } from "@/lib/http";
import { templateCompletion } from "@/lib/completions";
import { completionRequest } from "@/lib/prompts";

export const { GET, POST, PUT, PATCH, DELETE } = methods(
  {
    POST: apiRoute({ auth: "apiKey", body: completionRequest, envelope: "openai" }, ({ body, principal, signal, req }) =>
      templateCompletion(principal, body, req.headers, signal),
    ),
  },
  "openai",
);
