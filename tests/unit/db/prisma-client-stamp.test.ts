// A merged schema change without a new `npm install` left lib/db/generated stale, and the test
// harness's `next build` baked that client in: every query naming a new column failed at run time
// (the whole integration suite, on a ff-merge of the workspaces migration). The build now
// regenerates a client whose stamp does not match the schema's contents before it builds.
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensurePrismaClient } from "../../../scripts/lib/build.ts";
import { prismaClientIsCurrent, stampPrismaClient } from "../../../scripts/lib/schema-digest.mjs";

function fixture() {
  const root = mkdtempSync(join(tmpdir(), "pg-stamp-"));
  const schemaDir = join(root, "schema");
  const clientDir = join(root, "generated");
  mkdirSync(schemaDir);
  mkdirSync(clientDir);
  writeFileSync(join(schemaDir, "schema.prisma"), "generator client {}\n");
  writeFileSync(join(schemaDir, "auth.prisma"), "model ApiKey { id String @id }\n");
  return { schemaDir, clientDir };
}

describe("the Prisma client matches the schema it was generated from", () => {
  it("a client without a stamp, or stamped for other schema contents, is stale", () => {
    const { schemaDir, clientDir } = fixture();
    expect(prismaClientIsCurrent(schemaDir, clientDir)).toBe(false);
    stampPrismaClient(schemaDir, clientDir);
    expect(prismaClientIsCurrent(schemaDir, clientDir)).toBe(true);
    writeFileSync(join(schemaDir, "auth.prisma"), "model ApiKey { id String @id\n workspaceId String }\n");
    expect(prismaClientIsCurrent(schemaDir, clientDir)).toBe(false);
  });

  it("a new schema file makes the client stale too", () => {
    const { schemaDir, clientDir } = fixture();
    stampPrismaClient(schemaDir, clientDir);
    writeFileSync(join(schemaDir, "events.prisma"), "model OutboxEvent { id String @id }\n");
    expect(prismaClientIsCurrent(schemaDir, clientDir)).toBe(false);
  });

  it("the build regenerates a stale client before it builds, and leaves a current one alone", () => {
    const { schemaDir, clientDir } = fixture();
    let generated = 0;
    const generate = () => {
      generated++;
      stampPrismaClient(schemaDir, clientDir);
    };
    expect(ensurePrismaClient({ schemaDir, clientDir, generate, log: () => {} })).toBe(true);
    expect(generated).toBe(1);
    expect(ensurePrismaClient({ schemaDir, clientDir, generate, log: () => {} })).toBe(false);
    expect(generated).toBe(1);
    writeFileSync(join(schemaDir, "auth.prisma"), "model ApiKey { id String @id\n workspaceId String }\n");
    expect(ensurePrismaClient({ schemaDir, clientDir, generate, log: () => {} })).toBe(true);
    expect(generated).toBe(2);
  });

  it("a generation that leaves the client stale fails the build instead of baking it in", () => {
    const { schemaDir, clientDir } = fixture();
    expect(() => ensurePrismaClient({ schemaDir, clientDir, generate: () => {}, log: () => {} })).toThrow(/Prisma client/);
  });
});
