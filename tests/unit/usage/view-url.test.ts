import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_VIEW, DIMENSIONS, parseView, RANGE_PRESETS, STATUSES, SURFACES, viewToSearch, type UsageView } from "@/lib/usage/schemas";

const uuid = fc.uuid();
const iso = fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2030, 0, 1) }).map((t) => new Date(t).toISOString());

const viewArb: fc.Arbitrary<UsageView> = fc
  .record({
    range: fc.constantFrom(...RANGE_PRESETS, "custom" as const),
    from: iso,
    span: fc.integer({ min: 60_000, max: 90 * 86_400_000 }),
    bucket: fc.option(fc.constantFrom("minute" as const, "hour" as const, "day" as const), { nil: undefined }),
    by: fc.constantFrom(...DIMENSIONS),
    model: fc.option(fc.stringMatching(/^[a-z0-9][a-z0-9.:/-]{0,30}$/), { nil: undefined }),
    key: fc.option(uuid, { nil: undefined }),
    prompt: fc.option(uuid, { nil: undefined }),
    account: fc.option(uuid, { nil: undefined }),
    status: fc.option(fc.constantFrom(...STATUSES), { nil: undefined }),
    surface: fc.option(fc.constantFrom(...SURFACES), { nil: undefined }),
    workspace: fc.option(fc.oneof(fc.constant("all"), uuid), { nil: undefined }),
  })
  .map((r) => {
    const filters: UsageView["filters"] = {};
    for (const f of ["model", "key", "prompt", "account", "status", "surface"] as const) if (r[f]) filters[f] = r[f];
    const custom = r.range === "custom" ? { from: r.from, to: new Date(Date.parse(r.from) + r.span).toISOString() } : {};
    return { range: r.range, ...custom, ...(r.bucket ? { bucket: r.bucket } : {}), by: r.by, filters, ...(r.workspace ? { workspace: r.workspace } : {}) };
  });

describe("the Usage page's URL", () => {
  it("round-trips every view: parse(serialise(view)) is the same view", () => {
    fc.assert(
      fc.property(viewArb, (v) => {
        const search = viewToSearch(v);
        expect(parseView(new URLSearchParams(search))).toEqual(v);
        // The same through a real URL, as the browser would carry it.
        const url = new URL(`http://localhost/usage?${search}`);
        expect(parseView(url.searchParams)).toEqual(v);
      }),
    );
  });

  it("leaves defaults out, so the plain page has a plain URL", () => {
    expect(viewToSearch(DEFAULT_VIEW)).toBe("");
    expect(viewToSearch({ ...DEFAULT_VIEW, filters: { model: "gpt-4o" } })).toBe("model=gpt-4o");
  });

  it("keeps what is valid from a hand-edited link and drops the rest", () => {
    const v = parseView(new URLSearchParams("range=30d&by=nonsense&key=not-a-uuid&model=gpt-4o&status=ok&bucket=week"));
    expect(v).toEqual({ range: "30d", by: "model", filters: { model: "gpt-4o", status: "ok" } });
    // A custom range without its dates is not a range: the default applies.
    expect(parseView(new URLSearchParams("range=custom&from=2030-01-01T00:00:00Z")).range).toBe(DEFAULT_VIEW.range);
  });

  it("issue 18: keeps workspace=all or a workspace id in the URL, and drops anything else", () => {
    expect(parseView(new URLSearchParams("by=workspace&workspace=all"))).toEqual({ ...DEFAULT_VIEW, by: "workspace", workspace: "all" });
    expect(parseView(new URLSearchParams("workspace=not-a-workspace&model=gpt-4o"))).toEqual({ ...DEFAULT_VIEW, filters: { model: "gpt-4o" } });
  });

  it("reads Next's searchParams object form as well", () => {
    expect(parseView({ range: "24h", by: ["key", "model"], account: undefined })).toEqual({ range: "24h", by: "key", filters: {} });
  });
});
