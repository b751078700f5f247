// Prisma CLI configuration. The app itself connects through lib/db (pg adapter);
// this file only tells the CLI where the schema and migrations live.
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost:5432/promptgate" },
});
