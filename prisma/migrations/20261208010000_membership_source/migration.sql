-- Where a membership came from: "manual" (the console, the CLI, the migration) or "sso" (granted by an
-- identity provider's claims at sign-in). Sign-in re-applies and removes only the "sso" ones.
-- CreateEnum
CREATE TYPE "MembershipSource" AS ENUM ('manual', 'sso');

-- AlterTable
ALTER TABLE "Membership" ADD COLUMN     "source" "MembershipSource" NOT NULL DEFAULT 'manual';
