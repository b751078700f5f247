// GET and DELETE /api/v1/responses/{id}: a stored response, by the API key that made it (any other key gets 404).
import { z } from "zod";
import { apiRoute, methods } from "@/lib/http";
import { readResponse, removeResponse } from "@/lib/responses";

const params = z.object({ id: z.string().min(1).max(256) });

export const { GET, POST, PUT, PATCH, DELETE } = methods({
  GET: apiRoute({ auth: "apiKey", params }, ({ params, principal }) => readResponse(principal, params.id)),
  DELETE: apiRoute({ auth: "apiKey", params }, ({ params, principal }) => removeResponse(principal, params.id)),
});
