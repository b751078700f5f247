// POST /api/console/preview { draft, values }: the editor's live preview of an
// unsaved draft, rendered with sample values; a read (it changes nothing) for
// every signed-in user. A draft with problems answers 200 with `ok: false` and
// the problem, which the preview shows in place of the rendering.
import { z } from "zod";
import { apiRoute, methods } from "@/lib/http";
import { previewDraft } from "@/lib/prompts";
import { workspaceOf } from "@/lib/auth";

// `prompt`: the prompt being edited, so an include that comes back to it is named as a cycle.
const previewRequest = z.object({ draft: z.unknown(), values: z.record(z.string(), z.unknown()), prompt: z.string().max(100).nullish() });

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  POST: apiRoute({ auth: "session", role: "viewer", body: previewRequest }, ({ body, principal }) => previewDraft(workspaceOf(principal), body.draft, body.values, body.prompt)),
});
