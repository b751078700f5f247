-- Which API surface a call came in on: chat, messages, responses, embeddings or completion.
ALTER TABLE "UsageEvent" ADD COLUMN "surface" TEXT NOT NULL DEFAULT 'chat';
UPDATE "UsageEvent" SET "surface" = 'completion' WHERE "source" = 'completion';
