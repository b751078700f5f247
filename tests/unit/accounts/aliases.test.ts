import { describe, expect, it } from "vitest";
import { aliasGlobs, servedAs } from "@/lib/accounts/aliases";

const account = (models: string[], aliases: Record<string, string>) => ({ models, aliases, aliasGlobs: aliasGlobs(aliases) });

describe("account aliases with globs (lib/accounts/aliases.ts)", () => {
  it("messages #17.1: a claude-* alias serves model names nobody configured, the most specific glob first, exact names before any glob", () => {
    const a = account(["gpt-4o-mini", "claude-3-5-haiku-latest"], { "claude-*": "gpt-4o-mini", "claude-opus-*": "gpt-4o", "*": "fallback", "team": "gpt-4o" });
    expect(servedAs(a, "claude-sonnet-9-20991231")).toBe("gpt-4o-mini");
    expect(servedAs(a, "claude-opus-7")).toBe("gpt-4o");
    expect(servedAs(a, "claude-3-5-haiku-latest")).toBe("claude-3-5-haiku-latest");
    expect(servedAs(a, "team")).toBe("gpt-4o");
    expect(servedAs(a, "anything")).toBe("fallback");
    // The order the JSON was written in never matters.
    const reversed = account(["gpt-4o-mini"], { "*": "fallback", "claude-opus-*": "gpt-4o", "claude-*": "gpt-4o-mini" });
    expect(servedAs(reversed, "claude-opus-7")).toBe("gpt-4o");
  });

  it("messages #17.1: a name that is itself a glob or an Object.prototype key never resolves through the alias map", () => {
    const a = account(["gpt-4o-mini"], { "claude-*": "gpt-4o-mini" });
    expect(servedAs(a, "constructor")).toBeNull();
    expect(servedAs(a, "__proto__")).toBeNull();
    expect(servedAs(a, "gpt-*")).toBeNull();
  });
});
