// POST /api/feedback: a value for one metric on one completion. Idempotent per
// completion and name (the last write wins); an API key rates only its own completions.
import { apiRoute, methods } from "@/lib/http";
import { feedbackInput, recordFeedback } from "@/lib/experiments";

export const { GET, POST, PUT, PATCH, DELETE } = methods(
  {
    POST: apiRoute({ auth: "apiKey", body: feedbackInput }, ({ body, principal, ip }) => recordFeedback(principal, body, ip)),
  },
  "openai",
);
