import "server-only";
import { countAccountTokens, type Candidate } from "@/lib/accounts";
import { recordExposures } from "@/lib/experiments";
import { requestLogEntry, writeRequestLogs } from "@/lib/filters";
import { sweepStoredResponses } from "@/lib/responses";
import { recordGatewayCall, startGatewayTrace, trackCall, type GatewayTrace } from "@/lib/observability";
import { countChatTokens, countEmbeddingTokens, countTokens, type ChatMessage, type Usage } from "@/lib/providers";
import { settleBatch } from "@/lib/quota";
import { recordUsage, setSettlementSteps, type UsageEventInput, type UsageMetadata, type UsageReservation, type UsageStatus } from "@/lib/usage";
import type { GatewayCall } from "./call";
import { workspaceOf } from "@/lib/core";

// What follows a call, in order. Every call ends in exactly one settle():
//   1. its usage event is queued (lib/usage), with its metrics and the end of its trace;
// then, in the usage writer's batch transaction, after the events are inserted:
//   2. quota settlement: the reservation carried on the event is released and the real use added (lib/quota);
//   3. the request log, for keys that opted in (lib/filters);
//   4. experiment exposures, for calls served by a variant (lib/experiments);
//   5. account token counters, for the health and balancing views (lib/accounts);
//   6. the retention sweep of stored responses, now and then (lib/responses);
//   7. rollups, maintained by the writer itself for every batch (lib/usage).
// Steps 2 to 6 are registered here, once, at start (instrumentation.ts, and any
// script that writes usage); no module registers anything by being imported.

export function registerSettlementSteps(): void {
  setSettlementSteps([
    ["quota", settleBatch],
    ["request-logs", writeRequestLogs],
    ["experiment-exposures", recordExposures],
    ["account-tokens", countAccountTokens],
    ["stored-responses", sweepStoredResponses],
  ]);
}

/** How a call ended: its status plus what is known about it then. */
export type Outcome = {
  status: UsageStatus;
  errorCode?: string | null;
  /** The account that served (or last failed) the call. */
  candidate?: Candidate | null;
  /** Upstream usage; without it the tokens are counted from the request and `text`. */
  usage?: Usage | null;
  /** What the client was sent (streams), for counting without upstream usage and for the request log. */
  text?: string | null;
  ttftMs?: number | null;
  attempts?: number;
  cached?: boolean;
  servedModel?: string | null;
  /** The HTTP status the client got (request log); by default the status the outcome stands for. */
  httpStatus?: number;
  /** Count the prompt's tokens even without usage (an aborted call that never streamed). */
  countInput?: boolean;
};

// The status a request log shows when the call did not set one: a stream that
// failed after its 200 headers, or a call cut at the shutdown deadline.
const LOGGED_STATUS: Record<UsageStatus, number> = { ok: 200, client_aborted: 499, upstream_error: 502, rejected: 429, error: 503, unavailable: 503 };

const usageFields = (u: Usage) => ({
  inputTokens: u.prompt_tokens ?? 0,
  outputTokens: u.completion_tokens ?? 0,
  cachedTokens: u.prompt_tokens_details?.cached_tokens ?? 0,
});

/** An embeddings call's texts, as the request log shows a prompt (token-id inputs are not text). */
function embeddingLogMessages(input: NonNullable<GatewayCall["embedding"]>["input"]): ChatMessage[] {
  const texts = typeof input === "string" ? [input] : input.filter((i): i is string => typeof i === "string");
  return texts.map((content) => ({ role: "user", content }));
}

function safeCount(fn: () => number): number {
  try {
    return fn();
  } catch {
    return 0;
  }
}

/**
 * The one place a call ends. Created when the call arrives; `settle()` runs
 * once (later calls are ignored). At the shutdown deadline a call still
 * unsettled is settled as an error, so its usage is in the final flush.
 */
export class Settlement {
  readonly trace: GatewayTrace;
  /** The quota reservation admission took (null without a policy); settled with the usage event. */
  reservation: UsageReservation | null = null;
  private done = false;
  private readonly untrack: () => void;

  constructor(private readonly call: GatewayCall) {
    this.untrack = trackCall(() => this.settle({ status: "error", errorCode: "shutting_down" }));
    this.trace = startGatewayTrace(() => ({ "promptgate.completion_id": call.id, "gen_ai.request.model": call.request.model, "promptgate.stream": call.request.stream === true }));
  }

  get settled(): boolean {
    return this.done;
  }

  settle(o: Outcome): void {
    if (this.done) return;
    this.done = true;
    const { call } = this;
    const req = call.request;
    const c = o.candidate;
    const embedding = call.embedding;
    const countInput = () => safeCount(() => (embedding ? countEmbeddingTokens(req.model, embedding.input) : countChatTokens(req.model, req.messages)));
    const tokens = o.usage
      ? usageFields(o.usage)
      : o.text !== undefined && o.text !== null
        ? { inputTokens: countInput(), outputTokens: safeCount(() => countTokens(req.model, o.text!)), cachedTokens: 0 }
        : { inputTokens: o.countInput ? countInput() : 0, outputTokens: 0, cachedTokens: 0 };
    const e: UsageEventInput = {
      completionId: call.id,
      createdAt: new Date(Date.now() - (performance.now() - call.started)),
      apiKeyId: call.principal.kind === "apiKey" && call.principal.key.id ? call.principal.key.id : null,
      endUser: typeof req.user === "string" ? req.user.slice(0, 256) : null,
      source: call.options.source ?? "api",
      surface: call.options.surface ?? "chat",
      workspaceId: workspaceOf(call.principal),
      accountId: c?.account.id ?? null,
      provider: c?.account.provider ?? null,
      requestedModel: req.model,
      servedModel: o.servedModel ?? c?.upstreamModel ?? null,
      promptVersionId: call.options.promptVersionId ?? null,
      promptIncludes: call.options.promptIncludes ?? null,
      experimentId: call.options.experimentId ?? null,
      variantId: call.options.variantId ?? null,
      ...tokens,
      latencyMs: Math.round(performance.now() - call.started),
      ttftMs: o.ttftMs ?? null,
      status: o.status,
      errorCode: o.errorCode ?? null,
      stream: req.stream === true,
      attempts: o.attempts ?? 0,
      cached: o.cached,
      reservation: this.reservation,
      metadata: call.options.metadata ?? (req.metadata as UsageMetadata | null | undefined) ?? null,
      // Undefined (and free) unless the key opted into request logging.
      log: requestLogEntry(call.principal, embedding ? embeddingLogMessages(embedding.input) : req.messages, o.text ?? null, o.httpStatus ?? LOGGED_STATUS[o.status]),
    };
    this.untrack();
    recordUsage(e);
    recordGatewayCall(e);
    this.trace.end(e);
  }
}
