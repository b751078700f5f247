-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN     "cacheEnabled" BOOLEAN NOT NULL DEFAULT false;
