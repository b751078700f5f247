-- CreateEnum
CREATE TYPE "AccountProbeMode" AS ENUM ('off', 'models', 'completion');

-- AlterTable
ALTER TABLE "ProviderAccount" ADD COLUMN     "draining" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "modelOverrides" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "probeIntervalSec" INTEGER NOT NULL DEFAULT 60,
ADD COLUMN     "probeMode" "AccountProbeMode" NOT NULL DEFAULT 'off',
ADD COLUMN     "probeModel" TEXT,
ADD COLUMN     "rpmLimit" INTEGER,
ADD COLUMN     "tpmLimit" INTEGER;

-- CreateTable
CREATE TABLE "AccountHealthSnapshot" (
    "instanceId" TEXT NOT NULL,
    "accountId" UUID NOT NULL,
    "takenAt" TIMESTAMPTZ(3) NOT NULL,
    "status" TEXT NOT NULL,
    "inFlight" INTEGER NOT NULL DEFAULT 0,
    "consecutiveFailures" INTEGER NOT NULL DEFAULT 0,
    "cooldownUntil" TIMESTAMPTZ(3),
    "ewmaLatencyMs" DOUBLE PRECISION,
    "ewmaTtftMs" DOUBLE PRECISION,
    "probeHealthy" BOOLEAN,
    "lastProbeAt" TIMESTAMPTZ(3),
    "lastProbeMessage" TEXT,
    "lastErrorAt" TIMESTAMPTZ(3),
    "lastErrorCode" TEXT,
    "lastErrorMessage" TEXT,
    "circuits" JSONB NOT NULL DEFAULT '[]',
    "rateLimit" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "AccountHealthSnapshot_pkey" PRIMARY KEY ("instanceId","accountId")
);

-- CreateTable
CREATE TABLE "AccountHealthMinute" (
    "instanceId" TEXT NOT NULL,
    "accountId" UUID NOT NULL,
    "minute" TIMESTAMPTZ(3) NOT NULL,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "rateLimited" INTEGER NOT NULL DEFAULT 0,
    "successes" INTEGER NOT NULL DEFAULT 0,
    "latencySumMs" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "latencyHist" INTEGER[] DEFAULT ARRAY[]::INTEGER[],
    "ttftCount" INTEGER NOT NULL DEFAULT 0,
    "ttftHist" INTEGER[] DEFAULT ARRAY[]::INTEGER[],
    "inputTokens" INTEGER NOT NULL DEFAULT 0,
    "outputTokens" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "AccountHealthMinute_pkey" PRIMARY KEY ("instanceId","accountId","minute")
);

-- CreateTable
CREATE TABLE "AccountHealthEvent" (
    "id" BIGSERIAL NOT NULL,
    "accountId" UUID NOT NULL,
    "instanceId" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "kind" TEXT NOT NULL,
    "model" TEXT,
    "detail" TEXT,

    CONSTRAINT "AccountHealthEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AccountHealthSnapshot_takenAt_idx" ON "AccountHealthSnapshot"("takenAt");

-- CreateIndex
CREATE INDEX "AccountHealthMinute_accountId_minute_idx" ON "AccountHealthMinute"("accountId", "minute");

-- CreateIndex
CREATE INDEX "AccountHealthMinute_minute_idx" ON "AccountHealthMinute"("minute");

-- CreateIndex
CREATE INDEX "AccountHealthEvent_accountId_at_idx" ON "AccountHealthEvent"("accountId", "at" DESC);

-- CreateIndex
CREATE INDEX "AccountHealthEvent_at_idx" ON "AccountHealthEvent"("at");

