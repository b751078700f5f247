-- AlterTable
ALTER TABLE "UsageEvent" ADD COLUMN     "metadata" JSONB;
