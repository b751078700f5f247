// postinstall: `prisma generate` must work offline. Prisma 7 tries to fetch a
// schema engine it does not need for generation, so point it at /bin/true
// unless the operator has a real engine configured.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { stampPrismaClient } from "./lib/schema-digest.mjs";

if (!existsSync("prisma/schema/schema.prisma")) process.exit(0);
const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= "/bin/true";
env.PRISMA_HIDE_UPDATE_MESSAGE ??= "1";
const r = spawnSync("npx", ["--no-install", "prisma", "generate"], { stdio: "inherit", env });
// The build checks this stamp to regenerate a client older than the schema (scripts/lib/build.ts).
if (r.status === 0) stampPrismaClient();
process.exit(r.status ?? 1);
