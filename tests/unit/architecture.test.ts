import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkBoundaries, describe as describeViolation, moduleGraph } from "../../scripts/lib/boundaries.ts";

// The architecture's boundaries (scripts/lib/boundaries.ts), checked on the
// real tree, and proven able to fail on a deliberately broken one.

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BROKEN = fileURLToPath(new URL("../fixtures/broken-boundaries/", import.meta.url));

describe("architecture", () => {
  it("domains meet only through their public faces, in no cycle, lib/core below them all, and client code never loads server-only modules", async () => {
    const violations = checkBoundaries(ROOT, await moduleGraph(ROOT));
    expect(violations.map(describeViolation)).toEqual([]);
  }, 120_000);

  it("finds each kind of violation in a deliberately broken tree", async () => {
    const violations = checkBoundaries(BROKEN, await moduleGraph(BROKEN));
    const found = violations.map((v) => `${v.rule} ${v.from} → ${v.to}`);
    expect(found).toContain("deep-import lib/b/index.ts → lib/a/internal.ts");
    expect(found).toContain("core-depends lib/core/index.ts → lib/a/index.ts");
    expect(found).toContain("domain-cycle a → b → a");
    expect(found).toContain("client-server-only components/widget.tsx → lib/a/index.ts");
  }, 60_000);
});
