// POST /api/console/playground: stream a draft or a saved version from a chosen
// account and model, for the signed-in editor; recorded as usage with source=playground.
import { apiRoute, methods } from "@/lib/http";
import { playgroundCompletion } from "@/lib/completions";
import { playgroundRequest } from "@/lib/prompts";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  POST: apiRoute({ auth: "session", role: "editor", body: playgroundRequest }, ({ body, principal, signal }) =>
    playgroundCompletion(principal, body, signal),
  ),
});
