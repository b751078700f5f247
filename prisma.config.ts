// Prisma CLI configuration. The app itself connects through lib/db (pg adapter);
// this file only tells the CLI where the schema and migrations live. The schema
// is a folder: every .prisma file in it, with the generator in schema.prisma.
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost:5432/promptgate" },
});
