-- Issue 20 §2: the exact versions of the prompts a composed template included, per usage event.
ALTER TABLE "UsageEvent" ADD COLUMN "promptIncludes" JSONB;
