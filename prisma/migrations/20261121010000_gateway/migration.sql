-- CreateEnum
CREATE TYPE "ProviderKind" AS ENUM ('openai', 'azure', 'anthropic', 'simulator');

-- CreateTable
CREATE TABLE "ProviderAccount" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "provider" "ProviderKind" NOT NULL,
    "baseUrl" TEXT,
    "secretCiphertext" TEXT,
    "secretLast4" TEXT,
    "models" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "aliases" JSONB NOT NULL DEFAULT '{}',
    "settings" JSONB NOT NULL DEFAULT '{}',
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "weight" INTEGER NOT NULL DEFAULT 1,
    "priority" INTEGER NOT NULL DEFAULT 0,
    "firstByteTimeoutMs" INTEGER NOT NULL DEFAULT 30000,
    "idleTimeoutMs" INTEGER NOT NULL DEFAULT 60000,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ProviderAccount_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ModelPrice" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "model" TEXT NOT NULL,
    "inputPerMTok" DECIMAL(14,6) NOT NULL,
    "outputPerMTok" DECIMAL(14,6) NOT NULL,
    "cachedInputPerMTok" DECIMAL(14,6),
    "effectiveFrom" TIMESTAMPTZ(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ModelPrice_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "UsageEvent" (
    "id" BIGSERIAL NOT NULL,
    "completionId" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    "apiKeyId" UUID,
    "endUser" TEXT,
    "source" TEXT NOT NULL DEFAULT 'api',
    "accountId" UUID,
    "provider" TEXT,
    "requestedModel" TEXT NOT NULL,
    "servedModel" TEXT,
    "promptVersionId" UUID,
    "experimentId" UUID,
    "variantId" UUID,
    "inputTokens" INTEGER NOT NULL DEFAULT 0,
    "outputTokens" INTEGER NOT NULL DEFAULT 0,
    "cachedTokens" INTEGER NOT NULL DEFAULT 0,
    "costUsd" DECIMAL(18,8) NOT NULL DEFAULT 0,
    "priceKnown" BOOLEAN NOT NULL DEFAULT true,
    "latencyMs" INTEGER NOT NULL,
    "ttftMs" INTEGER,
    "status" TEXT NOT NULL,
    "errorCode" TEXT,
    "stream" BOOLEAN NOT NULL DEFAULT false,
    "attempts" INTEGER NOT NULL DEFAULT 1,

    CONSTRAINT "UsageEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ProviderAccount_name_key" ON "ProviderAccount"("name");

-- CreateIndex
CREATE UNIQUE INDEX "ModelPrice_model_effectiveFrom_key" ON "ModelPrice"("model", "effectiveFrom");

-- CreateIndex
CREATE UNIQUE INDEX "UsageEvent_completionId_key" ON "UsageEvent"("completionId");

-- CreateIndex
CREATE INDEX "UsageEvent_createdAt_idx" ON "UsageEvent"("createdAt" DESC);

-- CreateIndex
CREATE INDEX "UsageEvent_apiKeyId_createdAt_idx" ON "UsageEvent"("apiKeyId", "createdAt" DESC);

-- Public list prices (USD per 1M tokens) as published by OpenAI and Anthropic.
-- Admins add newer rows with a later effectiveFrom; old events keep their price.
INSERT INTO "ModelPrice" ("model", "inputPerMTok", "outputPerMTok", "cachedInputPerMTok", "effectiveFrom") VALUES
  ('gpt-5*',            1.25,   10.00,  0.125, '2024-01-01T00:00:00Z'),
  ('gpt-5-mini*',       0.25,    2.00,  0.025, '2024-01-01T00:00:00Z'),
  ('gpt-5-nano*',       0.05,    0.40,  0.005, '2024-01-01T00:00:00Z'),
  ('gpt-4.1*',          2.00,    8.00,  0.50,  '2024-01-01T00:00:00Z'),
  ('gpt-4.1-mini*',     0.40,    1.60,  0.10,  '2024-01-01T00:00:00Z'),
  ('gpt-4.1-nano*',     0.10,    0.40,  0.025, '2024-01-01T00:00:00Z'),
  ('gpt-4o*',           2.50,   10.00,  1.25,  '2024-01-01T00:00:00Z'),
  ('gpt-4o-mini*',      0.15,    0.60,  0.075, '2024-01-01T00:00:00Z'),
  ('gpt-4-turbo*',     10.00,   30.00,  NULL,  '2024-01-01T00:00:00Z'),
  ('gpt-3.5-turbo*',    0.50,    1.50,  NULL,  '2024-01-01T00:00:00Z'),
  ('o1*',              15.00,   60.00,  7.50,  '2024-01-01T00:00:00Z'),
  ('o1-mini*',          1.10,    4.40,  0.55,  '2024-01-01T00:00:00Z'),
  ('o3*',               2.00,    8.00,  0.50,  '2024-01-01T00:00:00Z'),
  ('o3-mini*',          1.10,    4.40,  0.55,  '2024-01-01T00:00:00Z'),
  ('o4-mini*',          1.10,    4.40,  0.275, '2024-01-01T00:00:00Z'),
  ('claude-opus-4*',   15.00,   75.00,  1.50,  '2024-01-01T00:00:00Z'),
  ('claude-sonnet-4*',  3.00,   15.00,  0.30,  '2024-01-01T00:00:00Z'),
  ('claude-haiku-4*',   1.00,    5.00,  0.10,  '2024-01-01T00:00:00Z'),
  ('claude-3-7-sonnet*', 3.00,  15.00,  0.30,  '2024-01-01T00:00:00Z'),
  ('claude-3-5-sonnet*', 3.00,  15.00,  0.30,  '2024-01-01T00:00:00Z'),
  ('claude-3-5-haiku*', 0.80,    4.00,  0.08,  '2024-01-01T00:00:00Z'),
  ('claude-3-opus*',   15.00,   75.00,  1.50,  '2024-01-01T00:00:00Z'),
  ('claude-3-haiku*',   0.25,    1.25,  0.03,  '2024-01-01T00:00:00Z'),
  ('sim-*',             0.00,    0.00,  0.00,  '2024-01-01T00:00:00Z');
