import { afterEach, describe, expect, it } from "vitest";
import { createAccountInput, providerUrlProblem } from "@/lib/accounts/schemas";

const privateUrls = [
  "http://10.0.0.5:8000/v1",
  "http://172.16.0.1",
  "http://172.31.255.255",
  "http://192.168.1.10:11434",
  "http://127.0.0.1:8080",
  "http://127.1", // WHATWG URL normalises short forms to 127.0.0.1
  "http://0x7f000001",
  "http://2130706433",
  "http://0.0.0.0:80",
  "http://100.64.0.1",
  "http://100.127.255.254",
  "http://localhost:3000",
  "http://LOCALHOST.",
  "http://api.localhost",
  "http://[::1]:8000",
  "http://[::]",
  "http://[fc00::1]",
  "http://[fd12:3456::1]",
  "http://[::ffff:127.0.0.1]",
  "http://[::ffff:10.1.2.3]",
];

const publicUrls = [
  "https://api.openai.com/v1",
  "https://8.8.8.8",
  "http://172.32.0.1",
  "http://172.15.255.255",
  "http://100.63.255.255",
  "http://100.128.0.1",
  "http://192.169.0.1",
  "https://[2606:4700::1111]",
  "http://198.20.0.1", // just past 198.18.0.0/15
  "http://223.255.255.255", // just below multicast
  "https://localhost.example.com",
  "https://my-azure.openai.azure.com/openai/deployments/gpt4",
];

const metadataUrls = [
  "http://169.254.169.254/latest/meta-data",
  "http://metadata.google.internal/computeMetadata/v1",
  "http://100.100.100.200",
  "http://[fd00:ec2::254]",
  "http://[::ffff:169.254.169.254]",
  "http://0xa9fea9fe", // 169.254.169.254 spelled in hex
];

// The gaps of finding #13.5: blocked under every policy now.
const alwaysBlockedUrls = [
  "http://169.254.170.2/v2/credentials", // ECS task credentials
  "http://169.254.170.23/v1/credentials", // EKS pod identity
  "http://169.254.10.1", // the rest of link-local
  "http://metadata.goog/computeMetadata/v1",
  "http://METADATA.GOOG.",
  "http://[fd00:ec2::23]", // EKS pod identity over IPv6
  "http://[64:ff9b::169.254.169.254]", // NAT64
  "http://[64:ff9b:1::a9fe:aa02]", // local-use NAT64 of 169.254.170.2
  "http://[::ffff:0:169.254.169.254]", // SIIT (rfc6145)
  "http://[2002:a9fe:a9fe::1]", // 6to4 of 169.254.169.254
  "http://[::169.254.169.254]", // deprecated IPv4-compatible form
  "http://[fe80::1]",
  "http://[febf::1]",
];

// Also gaps of #13.5: not public, so refused under public-only (allowed by default).
const nonPublicUrls = [
  "http://224.0.0.1", // multicast
  "http://239.255.255.250",
  "http://198.18.0.1", // benchmarking, 198.18.0.0/15
  "http://198.19.255.255",
  "http://240.0.0.1", // reserved
  "http://255.255.255.255",
  "http://192.0.2.1", // documentation
  "http://[fec0::1]", // deprecated site-local, fec0::/10
  "http://[ff02::1]", // IPv6 multicast
  "http://[2002:808:808::1]", // 6to4
  "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]", // Teredo
  "http://[64:ff9b::a00:1]", // NAT64 of 10.0.0.1
  "http://[2001:db8::1]", // documentation
  "http://[::2]",
];

describe("provider base URL policy", () => {
  it.each(metadataUrls)("blocks the cloud metadata address %s under every policy", (url) => {
    expect(providerUrlProblem(url, "allow-private")).toMatch(/metadata/);
    expect(providerUrlProblem(url, "public-only")).toMatch(/metadata/);
  });

  it.each(privateUrls)("allows the private address %s by default and blocks it under public-only", (url) => {
    expect(providerUrlProblem(url)).toBeNull();
    expect(providerUrlProblem(url, "public-only")).toMatch(/PROVIDER_URL_POLICY=public-only/);
  });

  it.each(alwaysBlockedUrls)("security #13.5: blocks %s under every policy", (url) => {
    expect(providerUrlProblem(url, "allow-private")).toMatch(/metadata/);
    expect(providerUrlProblem(url, "public-only")).toMatch(/metadata/);
  });

  it.each(nonPublicUrls)("security #13.5: refuses the non-public address %s under public-only", (url) => {
    expect(providerUrlProblem(url)).toBeNull();
    expect(providerUrlProblem(url, "public-only")).toMatch(/PROVIDER_URL_POLICY=public-only/);
  });

  it.each(publicUrls)("allows the public address %s under public-only", (url) => {
    expect(providerUrlProblem(url, "public-only")).toBeNull();
  });
});

describe("account input validation", () => {
  const before = process.env.PROVIDER_URL_POLICY;
  afterEach(() => {
    if (before === undefined) delete process.env.PROVIDER_URL_POLICY;
    else process.env.PROVIDER_URL_POLICY = before;
  });
  const input = (baseUrl: string) => createAccountInput.safeParse({ name: "a", provider: "openai", baseUrl });

  it("accepts a private upstream by default and rejects it when the server runs public-only", () => {
    delete process.env.PROVIDER_URL_POLICY;
    expect(input("http://192.168.1.10:11434/v1").success).toBe(true);
    process.env.PROVIDER_URL_POLICY = "public-only";
    const r = input("http://192.168.1.10:11434/v1");
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ path: ["baseUrl"], message: expect.stringMatching(/PROVIDER_URL_POLICY=public-only/) });
    expect(input("https://api.openai.com/v1").success).toBe(true);
  });

  it("rejects a metadata URL with one message, and a non-URL only as a bad URL", () => {
    const m = input("http://169.254.169.254/");
    expect(m.error?.issues.map((i) => i.message)).toEqual(["points at a cloud metadata address, which is blocked"]);
    const bad = input("not a url");
    expect(new Set(bad.error?.issues.map((i) => i.message))).toEqual(new Set(["must be an http(s) URL"]));
  });
});
