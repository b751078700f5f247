import "server-only";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { AppError } from "@/lib/core";
import { activeProviderUrlPolicy, addressProblem, providerUrlProblem } from "@/lib/providers/schemas";

// Where a webhook may point: the provider URL policy (lib/providers/address-policy.ts), as written and for
// every address the host resolves to now. Delivery checks the addresses again at connect time
// (guardedLookup in delivery.ts), so a name re-pointed after this check (DNS rebinding) is refused there.

const RESOLVE_TIMEOUT_MS = 5_000;

/** Refuses (400, param url) a URL that the policy blocks as written or by any address it resolves to. */
export async function assertWebhookUrlAllowed(url: string): Promise<void> {
  const policy = activeProviderUrlPolicy();
  const written = providerUrlProblem(url, policy);
  if (written) throw new AppError("bad_request", `This URL ${written}`, { param: "url" });
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  if (isIP(host)) return;
  let addresses: { address: string }[];
  try {
    addresses = await Promise.race([
      lookup(host, { all: true }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timed out")), RESOLVE_TIMEOUT_MS).unref()),
    ]);
  } catch (err) {
    throw new AppError("bad_request", `This URL's host ${host} does not resolve (${(err as Error).message})`, { param: "url" });
  }
  for (const a of addresses) {
    const problem = addressProblem(a.address, policy);
    if (problem) throw new AppError("bad_request", `This URL's host ${host} (${a.address}) ${problem}`, { param: "url" });
  }
}
