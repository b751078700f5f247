// POST /api/completion: render a prompt template (by label, default production,
// or version) with variables and complete it through the gateway, streamed or not.
import { apiRoute, methods } from "@/lib/http";
import { assertMayComplete } from "@/lib/gateway";
import { completionRequest, promptCompletion } from "@/lib/prompts";
// experiments hook (owned by lib/experiments): one import and one line below.
import { experimentCompletion } from "@/lib/experiments";

export const { GET, POST, PUT, PATCH, DELETE } = methods(
  {
    POST: apiRoute({ auth: "apiKey", body: completionRequest, envelope: "openai" }, async ({ body, principal, signal, req }) => {
      assertMayComplete(principal);
      // experiments hook: a running experiment on this prompt+label serves one of its variants; null falls through.
      return (await experimentCompletion(principal, body, req.headers, signal)) ?? promptCompletion(principal, body, signal);
    }),
  },
  "openai",
);
