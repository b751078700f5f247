-- AlterTable
ALTER TABLE "UsageEvent" ADD COLUMN     "cached" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "ResponseCache" (
    "key" TEXT NOT NULL,
    "apiKeyId" UUID NOT NULL,
    "model" TEXT NOT NULL,
    "response" JSONB NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "sizeBytes" INTEGER NOT NULL,
    "hits" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "ResponseCache_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "ResponseCache_expiresAt_idx" ON "ResponseCache"("expiresAt");

-- CreateIndex
CREATE INDEX "ResponseCache_createdAt_idx" ON "ResponseCache"("createdAt");
