-- A session now records the user's session version at sign-in instead of a
-- time: a counter read from the same row as the password hash cannot race a
-- concurrent change or depend on instance clocks.
-- AlterTable
ALTER TABLE "User" DROP COLUMN "sessionsValidAfter",
ADD COLUMN     "sessionVersion" INTEGER NOT NULL DEFAULT 0;
