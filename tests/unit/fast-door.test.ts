import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { HOT_ROUTES } from "../../scripts/lib/fast-door.ts";
import { API_ROUTES } from "../../lib/http/route-patterns.ts";

// The production server's fast door (scripts/lib/fast-door.ts) must stay a
// door: it translates node:http to and from the route handlers' web
// Request/Response and nothing else. Auth, parsing, errors, usage and logging
// live in the handlers both doors call.

const source = readFileSync(fileURLToPath(new URL("../../scripts/lib/fast-door.ts", import.meta.url)), "utf8");

describe("the fast door", () => {
  it("imports nothing but node built-ins, the route table and the static headers: no logic of its own", () => {
    const imports = [...source.matchAll(/^import\s[^;]*?from\s+"([^"]+)"/gm)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((i) => !i!.startsWith("node:") && i !== "../../lib/http/route-patterns.ts" && i !== "./security-headers.mjs")).toEqual([]);
    // Nothing of the pipeline: no auth, no parsing, no error model, no usage, no quota, no logging.
    const code = source
      .split("\n")
      .filter((l) => !/^\s*(\/\/|\*|\/\*\*)/.test(l) && !l.includes("HOT_ROUTES ="))
      .join("\n");
    expect(code).not.toMatch(/\b(verifyApiKey|AppError|zod|recordUsage|admit|logger|quota|principal)\b/i);
  });

  it("serves only API-key routes (none of them reads a session), so both doors authenticate alike", () => {
    const hot = API_ROUTES.filter((r) => HOT_ROUTES.test(r));
    expect(hot.length).toBeGreaterThan(0);
    for (const route of hot) {
      const file = fileURLToPath(new URL(`../../app${route}/route.ts`, import.meta.url));
      const modes = [...readFileSync(file, "utf8").matchAll(/auth:\s*"([a-zA-Z]+)"/g)].map((m) => m[1]);
      expect(modes.length, route).toBeGreaterThan(0);
      expect(new Set(modes), route).toEqual(new Set(["apiKey"]));
    }
  });
});
