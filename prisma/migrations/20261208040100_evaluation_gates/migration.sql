-- Evaluation gates on protected labels (issue 20 §3, optional gate; lib/evals/gate.ts).

-- CreateTable
CREATE TABLE "EvalGate" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspaceId" UUID NOT NULL,
    "promptName" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "datasetId" UUID NOT NULL,
    "scorer" TEXT NOT NULL,
    "minScore" DOUBLE PRECISION,
    "noRegression" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "EvalGate_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "EvalGate_workspaceId_promptName_label_key" ON "EvalGate"("workspaceId", "promptName", "label");

-- AddForeignKey
ALTER TABLE "EvalGate" ADD CONSTRAINT "EvalGate_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;
