import "server-only";
import type { Principal } from "@/lib/auth/principal";
import type { ChatCompletionRequest } from "@/lib/providers";

// Admission control for the gateway: reserve before the upstream call (one
// database round trip), settle after it (batched with the usage write). This
// is the seam; the quota domain is built behind it.

export type Admission = {
  /** Rate-limit headers for the response (x-ratelimit-*). */
  headers: Record<string, string>;
  /** Opaque reservation handle carried on the usage event and settled with it; null when nothing was reserved. */
  reservation: unknown;
};

export async function admit(_principal: Principal, _req: ChatCompletionRequest, _ctx: { completionId: string }): Promise<Admission> {
  return { headers: {}, reservation: null };
}
