// POST /api/v1/embeddings: OpenAI-compatible embeddings (float or base64), on the gateway's one pipeline.
import { apiRoute, methods } from "@/lib/http";
import { embeddingRequest, embeddings } from "@/lib/gateway";

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  POST: apiRoute({ auth: "apiKey", body: embeddingRequest }, ({ body, principal, signal }) => embeddings(principal, body, signal)),
});
