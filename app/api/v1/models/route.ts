// GET /api/v1/models: the models served by enabled accounts, aliases included, in OpenAI's list format.
import { apiRoute, methods } from "@/lib/http";
import { servedModels } from "@/lib/accounts";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "apiKey" }, async () => ({
    object: "list",
    data: (await servedModels()).map((m) => ({ id: m.id, object: "model", created: 0, owned_by: m.ownedBy })),
  })),
});
