-- Workspaces (issue 18): every team-owned row gets a workspace. Everything that
-- exists moves into "Default" (fixed id 00000000-0000-0000-0000-000000000001,
-- lib/core DEFAULT_WORKSPACE_ID), which the new columns default to; every user
-- becomes a member of Default with the role they had; admins become instance admins.

CREATE TABLE "Workspace" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "allowedModels" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "Workspace_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "Workspace_slug_key" ON "Workspace"("slug");

CREATE TABLE "Membership" (
    "userId" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "role" "Role" NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Membership_pkey" PRIMARY KEY ("userId", "workspaceId")
);
CREATE INDEX "Membership_workspaceId_idx" ON "Membership"("workspaceId");
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

INSERT INTO "Workspace" ("id", "name", "slug", "updatedAt")
VALUES ('00000000-0000-0000-0000-000000000001', 'Default', 'default', CURRENT_TIMESTAMP);

-- Users: existing admins become instance admins; everyone keeps their role in Default.
ALTER TABLE "User" ADD COLUMN "instanceAdmin" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "User" ADD COLUMN "currentWorkspaceId" UUID;
UPDATE "User" SET "instanceAdmin" = true WHERE "role" = 'admin';
INSERT INTO "Membership" ("userId", "workspaceId", "role")
SELECT "id", '00000000-0000-0000-0000-000000000001', "role" FROM "User";

-- What a workspace owns. ADD COLUMN with a constant default fills existing rows without a rewrite.
ALTER TABLE "ApiKey" ADD COLUMN "workspaceId" UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001';
CREATE INDEX "ApiKey_workspaceId_createdAt_idx" ON "ApiKey"("workspaceId", "createdAt" DESC);

ALTER TABLE "Prompt" ADD COLUMN "workspaceId" UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001';
DROP INDEX "Prompt_name_key";
CREATE UNIQUE INDEX "Prompt_workspaceId_name_key" ON "Prompt"("workspaceId", "name");

ALTER TABLE "GlobalVariable" ADD COLUMN "workspaceId" UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001';
ALTER TABLE "GlobalVariable" DROP CONSTRAINT "GlobalVariable_pkey";
ALTER TABLE "GlobalVariable" ADD CONSTRAINT "GlobalVariable_pkey" PRIMARY KEY ("workspaceId", "name");

ALTER TABLE "AuditLog" ADD COLUMN "workspaceId" UUID;
CREATE INDEX "AuditLog_workspaceId_createdAt_idx" ON "AuditLog"("workspaceId", "createdAt" DESC);
-- Past entries about team-owned things belong to Default; instance-level ones (accounts, pricing, users, settings) to none.
UPDATE "AuditLog" SET "workspaceId" = '00000000-0000-0000-0000-000000000001'
 WHERE "targetType" IN ('prompt', 'globalVariable', 'experiment', 'completion', 'apiKey', 'quotaPolicy');

ALTER TABLE "QuotaPolicy" ADD COLUMN "workspaceId" UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001';
DROP INDEX "QuotaPolicy_name_key";
CREATE UNIQUE INDEX "QuotaPolicy_workspaceId_name_key" ON "QuotaPolicy"("workspaceId", "name");

ALTER TABLE "UsageEvent" ADD COLUMN "workspaceId" UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001';
CREATE INDEX "UsageEvent_workspaceId_createdAt_idx" ON "UsageEvent"("workspaceId", "createdAt" DESC);

LOCK TABLE "UsageRollupHour", "UsageRollupDay" IN EXCLUSIVE MODE;
ALTER TABLE "UsageRollupHour" ADD COLUMN "workspaceId" UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001';
ALTER TABLE "UsageRollupHour" DROP CONSTRAINT "UsageRollupHour_pkey";
ALTER TABLE "UsageRollupHour" ADD CONSTRAINT "UsageRollupHour_pkey" PRIMARY KEY ("bucket", "model", "accountId", "apiKeyId", "promptVersionId", "variantId", "status", "surface", "workspaceId");
ALTER TABLE "UsageRollupDay" ADD COLUMN "workspaceId" UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001';
ALTER TABLE "UsageRollupDay" DROP CONSTRAINT "UsageRollupDay_pkey";
ALTER TABLE "UsageRollupDay" ADD CONSTRAINT "UsageRollupDay_pkey" PRIMARY KEY ("bucket", "model", "accountId", "apiKeyId", "promptVersionId", "variantId", "status", "surface", "workspaceId");

ALTER TABLE "RequestLog" ADD COLUMN "workspaceId" UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001';

ALTER TABLE "Experiment" ADD COLUMN "workspaceId" UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001';
CREATE INDEX "Experiment_workspaceId_createdAt_idx" ON "Experiment"("workspaceId", "createdAt" DESC);

ALTER TABLE "Feedback" ADD COLUMN "workspaceId" UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001';
