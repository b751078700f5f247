import { afterAll, describe, expect, inject, it } from "vitest";
import { applyMigrations } from "@/lib/db/migrate";
import { findSchemaDrift, readSchemaFolder, type SchemaFiles } from "../support/drift.ts";
import { createScratchDatabase, MIGRATIONS_DIR, withClient, type ScratchDatabase } from "../support/postgres.ts";

const schema = readSchemaFolder("prisma/schema");
const databaseUrl = inject("databaseUrl");
const adminUrl = inject("adminDatabaseUrl");

/** The schema files with one edit in one file; fails loudly if the text to replace is gone or ambiguous. */
function edited(find: string | RegExp, replace: string): SchemaFiles {
  const hits = schema.filter(([, text]) => text.replace(find, replace) !== text);
  if (hits.length !== 1) throw new Error(`test setup: ${String(find)} found in ${hits.length} files of prisma/schema, expected 1`);
  return schema.map(([path, text]) => [path, path === hits[0]![0] ? text.replace(find, replace) : text]);
}

/** The schema files without one of them. */
function without(file: string): SchemaFiles {
  const next = schema.filter(([path]) => path !== file);
  if (next.length === schema.length) throw new Error(`test setup: ${file} not found`);
  return next;
}

const scratch: ScratchDatabase[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((db) => db.drop()));
});

describe("schema drift", () => {
  it("finds no difference between prisma/schema and the migrated database", async () => {
    expect(await findSchemaDrift(schema, databaseUrl)).toEqual([]);
  });

  describe("reports each kind of difference when the schema changes", () => {
    const cases: [string, SchemaFiles, string[]][] = [
      [
        "an added column",
        edited(/(model User \{\n)/, "$1  nickname String?\n"),
        [`column "User"."nickname": missing in database`],
      ],
      [
        "a column that became nullable",
        edited(/(model User \{[^}]*?\n\s+name\s+)String\n/, "$1String?\n"),
        [`column "User"."name": NOT NULL in database, schema expects nullable`],
      ],
      [
        "a changed type",
        edited(/(count\s+)Int(\s+@default\(0\)\n\s+expiresAt)/, "$1BigInt$2"),
        [`column "RateLimitBucket"."count": type is integer in database, schema expects bigint`],
      ],
      [
        "a changed decimal precision",
        edited("inputPerMTok       Decimal  @db.Decimal(14, 6)", "inputPerMTok       Decimal  @db.Decimal(14, 4)"),
        [`column "ModelPrice"."inputPerMTok": type is numeric(14,6) in database, schema expects numeric(14,4)`],
      ],
      [
        "a removed index",
        edited(/(model RateLimitBucket \{[^}]*?)\n\s+@@index\(\[expiresAt\]\)/, "$1"),
        [`index "RateLimitBucket_expiresAt_idx" on "RateLimitBucket" ("expiresAt"): in database but not in schema`],
      ],
      [
        "a removed unique constraint",
        edited(/(model User \{[^}]*?email\s+String)\s+@unique/, "$1"),
        [`index "User_email_key" on "User" UNIQUE ("email"): in database but not in schema`],
      ],
      [
        "a changed sort order",
        edited(/(model RateLimitBucket \{[^}]*?)@@index\(\[expiresAt\]\)/, "$1@@index([expiresAt(sort: Desc)])"),
        [`index "RateLimitBucket_expiresAt_idx" on "RateLimitBucket": database has ("expiresAt"), schema expects ("expiresAt" DESC)`],
      ],
      [
        "a changed ON DELETE action",
        edited("references: [id], onDelete: SetNull)", "references: [id], onDelete: Cascade)"),
        [`foreign key "ApiKey"(createdById) -> "User"(id): ON DELETE is SET NULL in database, schema expects CASCADE`],
      ],
      [
        "an added enum value",
        edited(/(enum Role \{\n)/, "$1  owner\n"),
        [`enum "Role": value "owner" missing in database`],
      ],
      [
        "an added model (in a file of its own)",
        [...schema, ["prisma/schema/widget.prisma", "model Widget {\n  id   Int    @id\n  name String\n}\n"]],
        [`table "Widget": missing in database`],
      ],
      [
        "a removed model",
        edited(/\nmodel RateLimitBucket \{[^}]*\}\n/, "\n"),
        [`table "RateLimitBucket": in database but not in schema`],
      ],
      [
        "a removed schema file",
        without("prisma/schema/cache.prisma"),
        [`table "ResponseCache": in database but not in schema`],
      ],
    ];

    it.each(cases)("%s", async (_name, alteredSchema, expected) => {
      expect(await findSchemaDrift(alteredSchema, databaseUrl)).toEqual(expected);
    });
  });

  it("reports a database that was changed behind the migrations' back", async () => {
    const db = await createScratchDatabase(adminUrl);
    scratch.push(db);
    await applyMigrations({ connectionString: db.url, migrationsDir: MIGRATIONS_DIR });
    expect(await findSchemaDrift(schema, db.url)).toEqual([]);

    await withClient(db.url, async (c) => {
      await c.query(`ALTER TABLE "AuditLog" DROP COLUMN "ip"`);
      await c.query(`ALTER TABLE "User" ALTER COLUMN "name" DROP NOT NULL`);
      await c.query(`CREATE INDEX "User_name_idx" ON "User" ("name") WHERE "disabled" = false`);
    });
    expect((await findSchemaDrift(schema, db.url)).sort()).toEqual(
      [
        `column "AuditLog"."ip": missing in database`,
        `column "User"."name": nullable in database, schema expects NOT NULL`,
        `index "User_name_idx" on "User" ("name") WHERE disabled = false: in database but not in schema`,
      ].sort(),
    );
  });

  // Later migrations bring bigint ids, decimals, mapped names, composite,
  // partial and GIN indexes; this pins the mapping for all of them.
  it("compares clean for every kind of column and index when the SQL matches what Prisma generates", async () => {
    const db = await createScratchDatabase(adminUrl);
    scratch.push(db);
    await withClient(db.url, (c) => c.query(GENERIC_SQL));
    expect(await findSchemaDrift(GENERIC_SCHEMA, db.url)).toEqual([]);

    await withClient(db.url, (c) => c.query(`DROP INDEX "items_live_code_idx"; CREATE INDEX "items_live_code_idx" ON "Item" ("code")`));
    expect(await findSchemaDrift(GENERIC_SCHEMA, db.url)).toEqual([
      `index "items_live_code_idx" on "Item": database has ("code"), schema expects ("code") WHERE deletedat is null`,
    ]);
  });
});

const GENERIC_SCHEMA = String.raw`
generator client {
  provider        = "prisma-client"
  previewFeatures = ["partialIndexes"]
}

datasource db {
  provider = "postgresql"
}

enum Status {
  active
  paused @map("on_hold")

  @@map("status")
}

model Owner {
  id    Int    @id @default(autoincrement())
  name  String @db.VarChar(80)
  items Item[]
  notes Note[]

  @@map("owners")
}

model Item {
  id        BigInt                   @id @default(autoincrement())
  ownerId   Int                      @map("owner_id")
  owner     Owner                    @relation(fields: [ownerId], references: [id], onDelete: Cascade)
  price     Decimal                  @db.Decimal(12, 4)
  total     Decimal
  ratio     Float
  small     Float                    @db.Real
  count     BigInt
  tags      String[]
  statuses  Status[]
  status    Status                   @default(active)
  at        DateTime
  atz       DateTime                 @db.Timestamptz(6)
  day       DateTime                 @db.Date
  blob      Bytes?
  meta      Json                     @db.Json
  doc       Json
  code      String                   @db.Char(3)
  deletedAt DateTime?                @db.Timestamptz(3)
  search    Unsupported("tsvector")?

  @@unique([ownerId, code])
  @@index([ownerId, at(sort: Desc)])
  @@index([code], where: raw("\"deletedAt\" IS NULL"), map: "items_live_code_idx")
  @@index([status], where: { deletedAt: null }, map: "items_live_status_idx")
  @@index([doc(ops: JsonbPathOps)], type: Gin)
}

model Note {
  id      Int   @id
  ownerId Int
  owner   Owner @relation(fields: [ownerId], references: [id])
}

model Pair {
  a Int
  b Int

  @@id([a, b])
}
`;

const GENERIC_SQL = `
CREATE TYPE "status" AS ENUM ('active', 'on_hold');
CREATE TABLE "owners" ("id" SERIAL NOT NULL, "name" VARCHAR(80) NOT NULL, CONSTRAINT "owners_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Item" (
    "id" BIGSERIAL NOT NULL,
    "owner_id" INTEGER NOT NULL,
    "price" DECIMAL(12,4) NOT NULL,
    "total" DECIMAL(65,30) NOT NULL,
    "ratio" DOUBLE PRECISION NOT NULL,
    "small" REAL NOT NULL,
    "count" BIGINT NOT NULL,
    "tags" TEXT[],
    "statuses" "status"[],
    "status" "status" NOT NULL DEFAULT 'active',
    "at" TIMESTAMP(3) NOT NULL,
    "atz" TIMESTAMPTZ(6) NOT NULL,
    "day" DATE NOT NULL,
    "blob" BYTEA,
    "meta" JSON NOT NULL,
    "doc" JSONB NOT NULL,
    "code" CHAR(3) NOT NULL,
    "deletedAt" TIMESTAMPTZ(3),
    "search" tsvector,
    CONSTRAINT "Item_pkey" PRIMARY KEY ("id")
);
CREATE TABLE "Note" ("id" INTEGER NOT NULL, "ownerId" INTEGER NOT NULL, CONSTRAINT "Note_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Pair" ("a" INTEGER NOT NULL, "b" INTEGER NOT NULL, CONSTRAINT "Pair_pkey" PRIMARY KEY ("a", "b"));
CREATE UNIQUE INDEX "Item_owner_id_code_key" ON "Item"("owner_id", "code");
CREATE INDEX "Item_owner_id_at_idx" ON "Item"("owner_id", "at" DESC);
CREATE INDEX "items_live_code_idx" ON "Item"("code") WHERE "deletedAt" IS NULL;
CREATE INDEX "items_live_status_idx" ON "Item"("status") WHERE ("deletedAt" IS NULL);
CREATE INDEX "Item_doc_idx" ON "Item" USING GIN ("doc" jsonb_path_ops);
ALTER TABLE "Item" ADD CONSTRAINT "Item_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "owners"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Note" ADD CONSTRAINT "Note_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "owners"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
`;
