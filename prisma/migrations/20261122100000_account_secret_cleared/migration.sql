-- Security #13.4: re-pointing an account (base URL or provider) without a new
-- key clears the stored key, and the account waits for one before it is routed.
-- AlterTable
ALTER TABLE "ProviderAccount" ADD COLUMN     "secretCleared" BOOLEAN NOT NULL DEFAULT false;
