// The Prisma client in lib/db/generated is generated from prisma/schema, at `npm install`
// (postinstall). A pulled or merged schema change without a new install left the client stale,
// and `next build` then baked the stale client into the app (queries failed at run time with
// "Unknown argument workspaceId"). The digest of the schema's contents, stamped next to the
// client when it is generated, tells the build whether the client matches the schema.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const SCHEMA_DIR = "prisma/schema";
export const CLIENT_DIR = "lib/db/generated";
const STAMP = ".schema-digest";

/** sha256 over the schema folder's file names and contents (mtimes change on checkout; contents do not). */
export function schemaDigest(schemaDir = SCHEMA_DIR) {
  const hash = createHash("sha256");
  for (const name of readdirSync(schemaDir).filter((f) => f.endsWith(".prisma")).sort()) {
    hash.update(`${name}\0`).update(readFileSync(join(schemaDir, name))).update("\0");
  }
  return hash.digest("hex");
}

export function prismaClientIsCurrent(schemaDir = SCHEMA_DIR, clientDir = CLIENT_DIR) {
  const stamp = join(clientDir, STAMP);
  return existsSync(stamp) && readFileSync(stamp, "utf8") === schemaDigest(schemaDir);
}

export function stampPrismaClient(schemaDir = SCHEMA_DIR, clientDir = CLIENT_DIR) {
  writeFileSync(join(clientDir, STAMP), schemaDigest(schemaDir));
}
