// Flat config. The import rule below is the architecture's one machine-checked
// boundary: pages and components reach the database only through lib/ domains.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/**", ".next/**", ".next-*/**", ".data/**", "lib/db/generated/**", "next-env.d.ts", "bench/results/**", "tests/fixtures/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", Buffer: "readonly", URL: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "no-empty": ["error", { allowEmptyCatch: true }],
    },
  },
  {
    files: ["app/**", "components/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            { name: "@/lib/db", message: "Pages and components call lib/<domain>, never the database directly." },
            { name: "@prisma/client", message: "Pages and components call lib/<domain>, never Prisma." },
            { name: "pg", message: "Pages and components call lib/<domain>, never the database directly." },
          ],
          patterns: [
            { group: ["@/lib/db/*", "**/lib/db/**", "**/generated/**"], message: "Pages and components call lib/<domain>, never the database directly." },
          ],
        },
      ],
    },
  },
);
