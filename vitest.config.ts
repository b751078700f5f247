import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));
// expect.poll waits on real servers and a real database: 1 s (vitest's default) is tight on a busy machine.
const poll = { expect: { poll: { timeout: 10_000 } } };
const shared = {
  resolve: {
    alias: {
      "@/": root,
      // lib/ modules guard against client bundling with `server-only`; tests are server code.
      "server-only": `${root}tests/support/server-only.ts`,
    },
  },
};

export default defineConfig({
  test: {
    projects: [
      { ...shared, test: { ...poll, name: "unit", include: ["tests/unit/**/*.test.ts"], environment: "node", setupFiles: ["tests/support/unit-env.ts"] } },
      {
        ...shared,
        test: {
          ...poll,
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          environment: "node",
          globalSetup: ["tests/support/global-setup.ts"],
          setupFiles: ["tests/support/isolate-file.ts"],
          // next-auth imports "next/server" without an extension, which Node's ESM
          // resolver refuses; inlining lets Vite resolve it (route handlers import auth).
          server: { deps: { inline: ["next-auth"] } },
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        ...shared,
        test: {
          ...poll,
          name: "e2e",
          include: ["tests/e2e/**/*.test.ts"],
          environment: "node",
          globalSetup: ["tests/support/e2e-setup.ts"],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
