// Keeps the RBAC matrix (lib/auth/rbac-matrix.ts) honest without starting the
// app: every admin or console route and every server action in the tree must
// be listed, nothing listed may be gone, and docs/rbac.md must be current.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { actionRules, protectedLabelRules, publicActions, renderRbacDoc, routeRules } from "@/lib/auth/rbac-matrix";

const ROOT = join(import.meta.dirname, "../../..");
const MATRIX = "lib/auth/rbac-matrix.ts";

function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

const rel = (p: string) => relative(ROOT, p).split("\\").join("/");
const routePath = (file: string) => "/" + rel(file).replace(/^app\//, "").replace(/\/route\.ts$/, "");

function implementedMethods(source: string): string[] {
  const found = new Set<string>();
  const inMethods = /methods\(\s*\{([\s\S]*)\}\s*(?:,|\))/m.exec(source)?.[1] ?? "";
  for (const m of inMethods.matchAll(/\b(GET|POST|PUT|PATCH|DELETE)\s*:/g)) found.add(m[1]!);
  for (const m of source.matchAll(/export\s+(?:async\s+)?function\s+(GET|POST|PUT|PATCH|DELETE)\b/g)) found.add(m[1]!);
  for (const m of source.matchAll(/export\s+const\s+(GET|POST|PUT|PATCH|DELETE)\s*=/g)) found.add(m[1]!);
  return [...found].sort();
}

/** Routes that must be in the matrix: the management and console APIs. */
function guardedRoutes(): { method: string; path: string; file: string }[] {
  const files = [...walk(join(ROOT, "app/api/admin")), ...walk(join(ROOT, "app/api/console"))].filter((f) => f.endsWith("/route.ts"));
  return files.flatMap((f) => implementedMethods(readFileSync(f, "utf8")).map((method) => ({ method, path: routePath(f), file: rel(f) })));
}

function serverActions(): { file: string; name: string; inline: boolean }[] {
  const files = [...walk(join(ROOT, "app")), ...walk(join(ROOT, "components")), ...walk(join(ROOT, "lib"))].filter((f) => /\.(ts|tsx)$/.test(f) && !f.includes("/generated/"));
  const out: { file: string; name: string; inline: boolean }[] = [];
  for (const f of files) {
    const src = readFileSync(f, "utf8");
    if (!src.includes("use server")) continue;
    const fileLevel = /^\s*(?:\/\/[^\n]*\n|\/\*[\s\S]*?\*\/\s*)*["']use server["']/.test(src);
    if (fileLevel) {
      for (const m of src.matchAll(/export\s+(?:const|let|(?:async\s+)?function)\s+(\w+)/g)) out.push({ file: rel(f), name: m[1]!, inline: false });
    } else if (/^\s*["']use server["'];?\s*$/m.test(src)) out.push({ file: rel(f), name: "*", inline: true });
  }
  return out;
}

describe("RBAC matrix coverage", () => {
  it("lists every method of every /api/admin and /api/console route in the tree", () => {
    const listed = new Set(routeRules.map((r) => `${r.method} ${r.path}`));
    const routes = guardedRoutes();
    // A moved folder must not leave nothing to check.
    expect(routes.length).toBeGreaterThan(30);
    const missing = routes.filter((r) => !listed.has(`${r.method} ${r.path}`));
    expect(
      missing.map((m) => `${m.method} ${m.path}`),
      `New routes are not in the RBAC matrix. Add a row per method to routeRules in ${MATRIX}, e.g.\n` +
        missing.map((m) => `  { method: "${m.method}", path: "${m.path}", what: "…", allow: MANAGEMENT }, // ${m.file}`).join("\n") +
        "\nthen regenerate docs/rbac.md (see its header).",
    ).toEqual([]);
  });

  it("lists no route that no longer exists", () => {
    const stale = routeRules.filter((r) => {
      const file = join(ROOT, "app", r.path.replace(/^\//, ""), "route.ts");
      return !existsSync(file) || !implementedMethods(readFileSync(file, "utf8")).includes(r.method);
    });
    expect(stale.map((r) => `${r.method} ${r.path}`), `Remove or fix these rows in ${MATRIX}: the route or method is gone`).toEqual([]);
  });

  it("lists every exported server action, or names it as deliberately public", () => {
    const listed = new Set([...actionRules, ...publicActions].map((a) => `${a.file}#${a.name}`));
    const actions = serverActions();
    expect(actions.length).toBeGreaterThan(20);
    const missing = actions.filter((a) => !listed.has(`${a.file}#${a.name}`));
    expect(
      missing.map((m) => `${m.file}#${m.name}`),
      `Server actions missing from the RBAC matrix. Add to actionRules in ${MATRIX}, e.g.\n` +
        missing.map((m) => `  { file: "${m.file}", name: "${m.name}", what: "…", allow: ADMIN_SESSION },`).join("\n") +
        "\n(give `args` that fail validation or name a missing record, so the probe changes nothing), then regenerate docs/rbac.md.",
    ).toEqual([]);
    const present = new Set(serverActions().map((a) => `${a.file}#${a.name}`));
    const stale = actionRules.filter((a) => !present.has(`${a.file}#${a.name}`));
    expect(stale.map((a) => `${a.file}#${a.name}`), `Remove these rows from ${MATRIX}: the action is gone`).toEqual([]);
  });

  it("names only listed server actions in protectedLabelRules, allowing no one its role rule refuses", () => {
    const byKey = new Map(actionRules.map((a) => [`${a.file}#${a.name}`, a]));
    const wrong = protectedLabelRules.filter((r) => {
      const base = byKey.get(`${r.file}#${r.name}`);
      // A data-dependent rule only narrows its action's role rule, never widens it.
      return !base || r.allow.some((a) => !base.allow.includes(a));
    });
    expect(wrong.map((r) => `${r.what} (${r.file}#${r.name})`), `Fix these rows of protectedLabelRules in ${MATRIX}`).toEqual([]);
  });

  it("keeps docs/rbac.md identical to the matrix", () => {
    const file = join(ROOT, "docs/rbac.md");
    const want = renderRbacDoc();
    if (process.env.UPDATE_RBAC_DOC === "1") writeFileSync(file, want);
    const have = existsSync(file) ? readFileSync(file, "utf8") : "";
    expect(have === want, "docs/rbac.md is stale: run UPDATE_RBAC_DOC=1 npx vitest run --project integration tests/integration/auth/rbac-coverage.test.ts").toBe(true);
  });
});
