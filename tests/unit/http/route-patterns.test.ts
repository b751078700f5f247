import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { API_ROUTES, routePattern } from "@/lib/http/route-patterns";

// The metrics label API requests by route pattern (lib/http/route-patterns.ts);
// a route missing from the table would be counted as "other".

const ROOT = join(import.meta.dirname, "../../..");

function routeFiles(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) routeFiles(p, out);
    else if (e === "route.ts") out.push(p);
  }
  return out;
}

describe("API route patterns", () => {
  it("security #13.7: lists exactly the routes under app/api", () => {
    const inTree = routeFiles(join(ROOT, "app/api"))
      .map((f) => "/" + relative(join(ROOT, "app"), f).split("\\").join("/").replace(/\/route\.ts$/, "").replace(/\/\([^)]+\)/g, ""))
      .sort();
    expect(inTree.length).toBeGreaterThan(30);
    expect([...API_ROUTES].sort(), "Add the new route to API_ROUTES in lib/http/route-patterns.ts (or remove the gone one)").toEqual(inTree);
  });

  it("security #13.7: maps any name or id to its route's pattern, and anything unknown to one label", () => {
    expect(routePattern("/api/v1/chat/completions")).toBe("/api/v1/chat/completions");
    expect(routePattern("/api/prompts/anything-at-all")).toBe("/api/prompts/[name]");
    expect(routePattern("/api/prompts/x.txt")).toBe("/api/prompts/[name]");
    expect(routePattern("/api/prompts/%E2%9C%93%20weird")).toBe("/api/prompts/[name]");
    expect(routePattern("/api/admin/keys/0f8fad5b-d9cb-469f-a165-70867728950e")).toBe("/api/admin/keys/[id]");
    expect(routePattern("/api/admin/accounts/123/test")).toBe("/api/admin/accounts/[id]/test");
    expect(routePattern("/api/auth/callback/credentials")).toBe("/api/auth/[...nextauth]");
    // Paths no route file serves fall to the catch-all's pattern (its JSON 404), or "other" outside /api.
    for (const p of ["/api/nope", "/api/prompts", "/api/prompts/a/b", "/api/v1/chat/completions/extra", "/api/admin/keys/x/y"]) expect(routePattern(p), p).toBe("/api/[...path]");
    for (const p of ["/", "", "/prompts/x", "/apis/v1"]) expect(routePattern(p), p).toBe("other");
  });

  it("prefers a static segment to a dynamic one, as Next does", () => {
    expect(routePattern("/api/admin/accounts/health")).toBe("/api/admin/accounts/health");
    expect(routePattern("/api/admin/accounts/routing")).toBe("/api/admin/accounts/routing");
    expect(routePattern("/api/admin/accounts/some-id")).toBe("/api/admin/accounts/[id]");
    expect(routePattern("/api/admin/prompts/globals")).toBe("/api/admin/prompts/globals");
    expect(routePattern("/api/admin/prompts/globals/tone")).toBe("/api/admin/prompts/globals/[name]");
    expect(routePattern("/api/admin/prompts/versions/versions/3")).toBe("/api/admin/prompts/[name]/versions/[version]");
    expect(routePattern("/api/admin/prompts/globals/versions")).toBe("/api/admin/prompts/globals/[name]");
    expect(routePattern("/api/admin/prompts/greet/labels/prod")).toBe("/api/admin/prompts/[name]/labels/[label]");
  });
});
