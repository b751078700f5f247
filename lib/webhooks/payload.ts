import "server-only";

// What a delivery sends. One event, three renderings: the Standard Webhooks JSON body (the stable schema,
// documented in the README), Slack's {text} for an incoming-webhook URL, and the budget alert email.

export type OutboxRow = { id: string; type: string; workspaceId: string | null; data: Record<string, unknown>; createdAt: Date };

/** The delivered JSON: stable field names; `data` is the event type's own fields. */
export function standardBody(e: OutboxRow): string {
  return JSON.stringify({ id: e.id, type: e.type, timestamp: e.createdAt.toISOString(), workspaceId: e.workspaceId, data: e.data });
}

const scalar = (v: unknown): v is string | number | boolean => typeof v === "string" || typeof v === "number" || typeof v === "boolean";
const str = (v: unknown): string => (scalar(v) ? String(v) : "");

// The budget events' fields are lib/events/README.md's "Budget events" table.
const METRIC: Record<string, string> = { tokens: "tokens", spend_usd: "spend (USD)" };
function budgetName(e: OutboxRow): string {
  const d = e.data;
  const what = [METRIC[str(d.metric)] ?? str(d.metric), d.period ? `per ${str(d.period)}` : ""].filter(Boolean).join(" ");
  const scope = str(d.scope);
  const whose = scope === "workspace" || !scope ? "workspace" : `a ${scope.replace("_", "-")} policy in workspace`;
  return `Budget "${str(d.policyName) || str(d.policyId)}" of ${whose} ${str(d.workspaceSlug) || str(e.workspaceId)}${what ? ` (${what})` : ""}`;
}
const resets = (d: Record<string, unknown>) => (d.resetsAt ? `; resets ${str(d.resetsAt)}${d.timeZone && d.timeZone !== "UTC" ? ` (${str(d.timeZone)} calendar)` : ""}` : "");

/** One line saying what happened, for Slack and email subjects. */
export function summary(e: OutboxRow): string {
  const d = e.data;
  switch (e.type) {
    case "budget.threshold":
      return `${budgetName(e)} crossed ${str(d.threshold)}%: ${str(d.used)} of ${str(d.limit)}${resets(d)}`;
    case "budget.exhausted":
      return `${budgetName(e)} is exhausted: calls are refused${resets(d)}`;
    case "account.circuit_opened":
      return `Circuit opened for account ${str(d.accountName ?? d.accountId)}${d.model ? ` (model ${str(d.model)})` : ""}`;
    case "account.circuit_closed":
      return `Circuit closed for account ${str(d.accountName ?? d.accountId)}${d.model ? ` (model ${str(d.model)})` : ""}`;
    case "experiment.started":
      return `Experiment ${str(d.name)} started on ${str(d.prompt)}@${str(d.label)}`;
    case "experiment.completed":
      return `Experiment ${str(d.name)} completed${d.winner ? `, winner ${str(d.winner)}` : ""}`;
    case "prompt.version_created":
      return `Prompt ${str(d.prompt)}: version ${str(d.version)} created`;
    case "prompt.label_moved":
      return `Prompt ${str(d.prompt)}: label ${str(d.label)} moved from ${d.fromVersion == null ? "nothing" : `v${str(d.fromVersion)}`} to v${str(d.toVersion)}`;
    case "webhook.test":
      return "Test event from Promptgate: this endpoint receives deliveries";
    default:
      return e.type;
  }
}

/** The event's scalar fields, one `key: value` line each. */
function details(e: OutboxRow): string[] {
  return Object.entries(e.data)
    .filter(([, v]) => scalar(v))
    .map(([k, v]) => `${k}: ${String(v)}`);
}

/** Slack incoming webhooks take {text} (mrkdwn); blocks are optional and left out. */
export function slackBody(e: OutboxRow): string {
  const lines = [`*${summary(e)}*`, "", ...details(e).map((l) => `• ${l}`), `• event: ${e.type} ${e.id}`];
  return JSON.stringify({ text: lines.join("\n") });
}

export function emailMessage(e: OutboxRow): { subject: string; text: string } {
  return {
    subject: `[Promptgate] ${summary(e)}`,
    text: [summary(e), "", ...details(e), "", `Event: ${e.type}`, `Id: ${e.id}`, `At: ${e.createdAt.toISOString()}`, `Workspace: ${e.workspaceId ?? "(instance)"}`].join("\n"),
  };
}
