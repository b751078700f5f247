-- CreateEnum
CREATE TYPE "ExperimentStatus" AS ENUM ('draft', 'running', 'paused', 'completed');

-- CreateTable
CREATE TABLE "Experiment" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "promptId" UUID NOT NULL,
    "label" TEXT NOT NULL DEFAULT 'production',
    "status" "ExperimentStatus" NOT NULL DEFAULT 'draft',
    "hypothesis" TEXT NOT NULL DEFAULT '',
    "primaryMetric" TEXT NOT NULL DEFAULT 'thumbs',
    "higherIsBetter" BOOLEAN NOT NULL DEFAULT true,
    "minDetectableEffect" DOUBLE PRECISION NOT NULL DEFAULT 0.1,
    "demo" BOOLEAN NOT NULL DEFAULT false,
    "createdById" UUID,
    "createdByEmail" TEXT,
    "winnerVariantName" TEXT,
    "startedAt" TIMESTAMPTZ(3),
    "completedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Experiment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ExperimentPhase" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "experimentId" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,
    "startedAt" TIMESTAMPTZ(3),
    "endedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ExperimentPhase_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ExperimentVariant" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "experimentId" UUID NOT NULL,
    "phaseId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "promptVersionId" UUID NOT NULL,
    "promptVersion" INTEGER NOT NULL,
    "overrides" JSONB NOT NULL DEFAULT '{}',
    "weight" INTEGER NOT NULL,
    "isControl" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "ExperimentVariant_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ExperimentExposure" (
    "completionId" TEXT NOT NULL,
    "experimentId" UUID NOT NULL,
    "phaseId" UUID NOT NULL,
    "variantId" UUID NOT NULL,
    "subject" TEXT,
    "sticky" BOOLEAN NOT NULL,
    "apiKeyId" UUID,
    "status" TEXT NOT NULL,
    "latencyMs" INTEGER NOT NULL,
    "ttftMs" INTEGER,
    "inputTokens" INTEGER NOT NULL,
    "outputTokens" INTEGER NOT NULL,
    "costUsd" DECIMAL(18,8) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ExperimentExposure_pkey" PRIMARY KEY ("completionId")
);

-- CreateTable
CREATE TABLE "Feedback" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "completionId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "comment" TEXT,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "apiKeyId" UUID,
    "userId" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Feedback_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Experiment_promptId_idx" ON "Experiment"("promptId");

-- CreateIndex
CREATE INDEX "Experiment_status_idx" ON "Experiment"("status");

-- CreateIndex
CREATE UNIQUE INDEX "Experiment_active_prompt_label_key" ON "Experiment"("promptId", "label") WHERE ("status" = ANY (ARRAY['running'::"ExperimentStatus", 'paused'::"ExperimentStatus"]));

-- CreateIndex
CREATE UNIQUE INDEX "ExperimentPhase_experimentId_number_key" ON "ExperimentPhase"("experimentId", "number");

-- CreateIndex
CREATE INDEX "ExperimentVariant_experimentId_idx" ON "ExperimentVariant"("experimentId");

-- CreateIndex
CREATE UNIQUE INDEX "ExperimentVariant_phaseId_name_key" ON "ExperimentVariant"("phaseId", "name");

-- CreateIndex
CREATE INDEX "ExperimentExposure_phaseId_createdAt_idx" ON "ExperimentExposure"("phaseId", "createdAt");

-- CreateIndex
CREATE INDEX "ExperimentExposure_variantId_idx" ON "ExperimentExposure"("variantId");

-- CreateIndex
CREATE INDEX "ExperimentExposure_experimentId_createdAt_idx" ON "ExperimentExposure"("experimentId", "createdAt");

-- CreateIndex
CREATE INDEX "Feedback_name_createdAt_idx" ON "Feedback"("name", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Feedback_completionId_name_key" ON "Feedback"("completionId", "name");

-- AddForeignKey
ALTER TABLE "ExperimentPhase" ADD CONSTRAINT "ExperimentPhase_experimentId_fkey" FOREIGN KEY ("experimentId") REFERENCES "Experiment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ExperimentVariant" ADD CONSTRAINT "ExperimentVariant_experimentId_fkey" FOREIGN KEY ("experimentId") REFERENCES "Experiment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ExperimentVariant" ADD CONSTRAINT "ExperimentVariant_phaseId_fkey" FOREIGN KEY ("phaseId") REFERENCES "ExperimentPhase"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ExperimentExposure" ADD CONSTRAINT "ExperimentExposure_variantId_fkey" FOREIGN KEY ("variantId") REFERENCES "ExperimentVariant"("id") ON DELETE CASCADE ON UPDATE CASCADE;
