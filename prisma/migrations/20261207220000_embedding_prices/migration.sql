-- Public list prices (USD per 1M input tokens) of OpenAI's embedding models, for /api/v1/embeddings.
-- Embeddings produce no output tokens. An admin's own row for the same instant wins.
INSERT INTO "ModelPrice" ("model", "inputPerMTok", "outputPerMTok", "cachedInputPerMTok", "effectiveFrom") VALUES
  ('text-embedding-3-small*', 0.02, 0.00, NULL, '2024-01-01T00:00:00Z'),
  ('text-embedding-3-large*', 0.13, 0.00, NULL, '2024-01-01T00:00:00Z'),
  ('text-embedding-ada-002*', 0.10, 0.00, NULL, '2024-01-01T00:00:00Z')
ON CONFLICT ("model", "effectiveFrom") DO NOTHING;
