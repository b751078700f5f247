import ipaddr from "ipaddr.js";

// Where provider calls may go (SSRF). Client-safe: the account form validates
// with it in the browser, the server validates base URLs with it, and the
// upstream pools (http.ts) apply it again at connect time to every address a
// hostname resolves to, so a public-looking name that resolves (or is later
// re-pointed: DNS rebinding) to a blocked address is refused too.
//
// Under every policy: cloud metadata endpoints, all of link-local
// (169.254.0.0/16, fe80::/10: AWS ECS/EKS credentials live at 169.254.170.2
// and .23, not only at .169.254), and IPv6 forms that carry such an IPv4
// address (mapped, NAT64, 6to4, Teredo). Under "allow-private" (the default)
// private ranges stay allowed, because self-hosted models live there.
// PROVIDER_URL_POLICY=public-only allows only global unicast addresses.

export const providerUrlPolicies = ["allow-private", "public-only"] as const;
export type ProviderUrlPolicy = (typeof providerUrlPolicies)[number];

const METADATA_HOSTS = new Set(["metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal"]);
// Named for a clearer message; the rest of 169.254.0.0/16 is blocked as link-local anyway.
const METADATA_V4 = new Set(["169.254.169.254", "169.254.170.2", "169.254.170.23", "100.100.100.200"]);
const METADATA_V6 = [ipaddr.parse("fd00:ec2::254"), ipaddr.parse("fd00:ec2::23")].map(String); // AWS IMDS and EKS pod identity over IPv6

const METADATA = "points at a cloud metadata address, which is blocked";
const LINK_LOCAL = "points at a link-local address (169.254.0.0/16 or fe80::/10, where cloud metadata and credential services answer), which is blocked";
const NOT_PUBLIC = "points at a private, loopback, link-local or otherwise non-public address, which PROVIDER_URL_POLICY=public-only blocks";

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR("2000::/3");

/** The IPv4 address an IPv6 address carries by a well-known convention, if any. */
function embeddedV4(a: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = a.parts;
  const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
  switch (a.range()) {
    case "ipv4Mapped": // ::ffff:a.b.c.d
    case "rfc6145": // ::ffff:0:a.b.c.d
    case "rfc6052": // NAT64 64:ff9b::a.b.c.d (and the local-use 64:ff9b:1::/48 with a /96 prefix)
      return v4(p[6]!, p[7]!);
    case "6to4": // 2002:aabb:ccdd::
      return v4(p[1]!, p[2]!);
    case "teredo": // client address, obfuscated, in the last 32 bits
      return v4(p[6]! ^ 0xffff, p[7]! ^ 0xffff);
  }
  // Deprecated IPv4-compatible ::a.b.c.d (but not :: or ::1).
  if (p.slice(0, 6).every((x) => x === 0) && (p[6] !== 0 || p[7]! > 1)) return v4(p[6]!, p[7]!);
  return null;
}

function v4Problem(a: ipaddr.IPv4, policy: ProviderUrlPolicy): string | null {
  if (METADATA_V4.has(a.toString())) return METADATA;
  const range = a.range();
  if (range === "linkLocal") return LINK_LOCAL;
  return policy === "public-only" && range !== "unicast" ? NOT_PUBLIC : null;
}

function v6Problem(a: ipaddr.IPv6, policy: ProviderUrlPolicy): string | null {
  if (METADATA_V6.includes(a.toString())) return METADATA;
  const range = a.range();
  if (range === "linkLocal") return LINK_LOCAL;
  const v4 = embeddedV4(a);
  const carried = v4 && v4Problem(v4, "allow-private");
  if (carried) return carried;
  if (policy === "allow-private") return null;
  return range === "unicast" && a.match(GLOBAL_UNICAST_V6) ? null : NOT_PUBLIC;
}

/**
 * Why an IP address (as DNS or a URL gives it, without brackets) may not be
 * connected to under `policy`, or null when it may. Anything that does not
 * parse as an address is refused: this is called with addresses only.
 */
export function addressProblem(address: string, policy: ProviderUrlPolicy): string | null {
  let a: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    a = ipaddr.parse(address);
  } catch {
    return "is not an IP address";
  }
  return a.kind() === "ipv4" ? v4Problem(a as ipaddr.IPv4, policy) : v6Problem(a as ipaddr.IPv6, policy);
}

/** The problem with a URL's host (a name or an IP literal) as written, before any DNS. */
export function hostProblem(hostname: string, policy: ProviderUrlPolicy): string | null {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  if (host.includes(":") || ipaddr.IPv4.isValidFourPartDecimal(host)) return addressProblem(host, policy);
  if (METADATA_HOSTS.has(host)) return METADATA;
  if (policy === "public-only" && (host === "localhost" || host.endsWith(".localhost"))) return NOT_PUBLIC;
  return null;
}

/**
 * Why `url` may not be a provider base URL under `policy`, or null when it may.
 * WHATWG URL parsing has already normalised IPv4 spellings (0x7f.1, 2130706433)
 * to dotted decimal, so literals are compared in one form.
 */
export function providerUrlProblem(url: string, policy: ProviderUrlPolicy = "allow-private"): string | null {
  let hostname: string;
  try {
    hostname = new URL(url).hostname;
  } catch {
    return "must be an http(s) URL";
  }
  return hostProblem(hostname, policy);
}

// Read from the environment, not lib/config: this file is shared with the
// browser, where the variable is absent and the default (the weaker policy)
// applies; the server, which makes the decision that counts, sees the real one.
// lib/config validates the value at start-up.
export const activeProviderUrlPolicy = (): ProviderUrlPolicy =>
  typeof process !== "undefined" && process.env?.PROVIDER_URL_POLICY === "public-only" ? "public-only" : "allow-private";
