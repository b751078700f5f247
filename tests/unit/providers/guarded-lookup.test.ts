import { lookup as osLookup, type LookupAddress } from "node:dns";
import { describe, expect, it } from "vitest";
import { guardedLookup } from "@/lib/providers/http";
import type { ProviderUrlPolicy } from "@/lib/providers/schemas";

// The connect-time half of the SSRF policy: what a hostname resolves to. The
// resolver is the OS's dns.lookup, replaced here by a stub that answers with
// fixed addresses (no network here, and no DNS server to point a name at
// 169.254.169.254); the last case uses the real one.

type Outcome = { err: (Error & { code?: string }) | null; address?: unknown; family?: number };

function resolveWith(addresses: LookupAddress[]): typeof osLookup {
  return ((_host: string, _opts: unknown, cb: (err: null, a: LookupAddress[]) => void) => setImmediate(() => cb(null, addresses))) as unknown as typeof osLookup;
}

function run(policy: ProviderUrlPolicy, addresses: LookupAddress[] | null, host = "api.example.test", all = true): Promise<Outcome> {
  const lookup = guardedLookup(() => policy, addresses ? resolveWith(addresses) : osLookup);
  return new Promise((resolve) => lookup(host, { all }, (err, address, family) => resolve({ err, address, family })));
}

describe("connect-time address check", () => {
  it.each([
    ["169.254.169.254", 4],
    ["169.254.170.2", 4],
    ["169.254.170.23", 4],
    ["169.254.1.1", 4],
    ["64:ff9b::a9fe:a9fe", 6],
    ["::ffff:169.254.169.254", 6],
    ["fe80::1", 6],
    ["fd00:ec2::254", 6],
  ])("security #13.5: refuses a hostname that resolves to %s, under every policy", async (address, family) => {
    for (const policy of ["allow-private", "public-only"] as const) {
      const { err } = await run(policy, [{ address, family }]);
      expect(err?.code, policy).toBe("PROMPTGATE_BLOCKED_ADDRESS");
      expect(err?.message).toContain(`api.example.test (${address})`);
      expect(err?.message).toMatch(/metadata/);
    }
  });

  it("security #13.5: under public-only refuses a host when any one of its addresses is not public", async () => {
    const { err } = await run("public-only", [{ address: "8.8.8.8", family: 4 }, { address: "10.1.2.3", family: 4 }]);
    expect(err?.message).toMatch(/10\.1\.2\.3.*PROVIDER_URL_POLICY=public-only/);
    const multicast = await run("public-only", [{ address: "224.0.0.251", family: 4 }]);
    expect(multicast.err?.code).toBe("PROMPTGATE_BLOCKED_ADDRESS");
  });

  it("lets public addresses through, and private ones under the default policy, in the shape net.connect asked for", async () => {
    const two = [{ address: "8.8.8.8", family: 4 }, { address: "2606:4700::1111", family: 6 }];
    expect(await run("public-only", two)).toEqual({ err: null, address: two, family: undefined });
    expect(await run("public-only", two, "api.example.test", false)).toEqual({ err: null, address: "8.8.8.8", family: 4 });
    expect((await run("allow-private", [{ address: "10.1.2.3", family: 4 }])).err).toBeNull();
  });

  it("security #13.5: with the real resolver, localhost is refused under public-only and allowed by default", async () => {
    const refused = await run("public-only", null, "localhost");
    expect(refused.err?.message).toMatch(/^localhost \((127\.0\.0\.1|::1)\) .*public-only/);
    expect((await run("allow-private", null, "localhost")).err).toBeNull();
  });
});
