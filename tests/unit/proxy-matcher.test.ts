import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

// proxy.ts sets the page CSP; its matcher decides which paths skip it. Only
// real static files may: what public/ holds, the metadata files app/ serves at
// the root, and Next's own assets. (Next compiles the matcher with
// path-to-regexp; for this pattern that is the same regular expression,
// anchored. tests/integration/http/csrf-csp.test.ts checks the real server.)

const source = readFileSync("proxy.ts", "utf8");
const matcher = /matcher:\s*\["((?:[^"\\]|\\.)*)"\]/.exec(source)![1]!.replace(/\\\\/g, "\\");
const runsProxy = (path: string) => new RegExp(`^${matcher}$`).test(path);

describe("proxy matcher", () => {
  it("security #13.8 CSP: runs for console paths whatever their suffix", () => {
    for (const path of ["/", "/prompts/notes.txt", "/prompts/x.svg", "/prompts/x.png", "/prompts/x.ico", "/usage/robots.txt", "/prompts/icon.svg", "/login"]) {
      expect(runsProxy(path), path).toBe(true);
    }
  });

  it("skips the static files public/ and app/ serve, Next's assets and the API", () => {
    const rootFiles = [
      ...readdirSync("public"),
      ...readdirSync("app").filter((f) => /^(?:icon|favicon|apple-icon|opengraph-image|twitter-image|robots|sitemap|manifest)\./.test(f)),
    ];
    expect(rootFiles.length).toBeGreaterThan(0);
    for (const f of rootFiles) expect(runsProxy(`/${f}`), `/${f} is static: add it to the matcher in proxy.ts`).toBe(false);
    for (const path of ["/favicon.ico", "/_next/static/chunks/app.js", "/_next/image", "/api/v1/models", "/api/metrics"]) expect(runsProxy(path), path).toBe(false);
  });
});
