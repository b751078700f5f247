// GET /api/v1/models: the models served by enabled accounts, aliases included, in OpenAI's list format,
// with the fields Anthropic's list adds (type, display_name, created_at, has_more…), so both SDKs read it.
// Only the models the key may call: its workspace's allowed models, narrowed by its model: scopes.
import { apiRoute, methods } from "@/lib/http";
import { servedModels } from "@/lib/accounts";
import { modelAllowed } from "@/lib/gateway";

const EPOCH = new Date(0).toISOString();

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "apiKey" }, async ({ principal }) => {
    const data = (await servedModels()).filter((m) => modelAllowed(principal, m.id)).map((m) => ({ id: m.id, object: "model", created: 0, owned_by: m.ownedBy, type: "model", display_name: m.id, created_at: EPOCH }));
    return { object: "list", data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
  }),
});
