// The one table of who may do what: every console server action and every
// management route, against the six kinds of caller. tests/integration/
// auth/rbac.test.ts calls each entry as each caller over real HTTP and
// checks the answer; rbac-coverage.test.ts fails when an admin route or a
// server action exists that this table does not list; docs/rbac.md is
// rendered from it (renderRbacDoc) and checked to be current. A third table,
// protectedLabelRules, lists the checks that depend on the data rather than
// the role alone: what editors may not do to a protected label.
//
// Policy: the management API (/api/admin) is for admins: an admin session or
// an API key with the `admin` scope. In the console, editors may edit prompts
// and experiments but not users, keys, accounts, quotas or prices; viewers
// read. Gateway routes take an API key (or a service access token).
// Workspaces: roles are per workspace. "admin" here is an instance admin (admin
// in every workspace, and of what the instance owns: accounts, routing,
// pricing, users, workspaces); "workspaceAdmin" is the admin of one team
// workspace only: everything an admin may do inside that workspace, nothing
// the instance owns. What one workspace's caller may reach of another's is
// tests/integration/workspaces/idor.test.ts: nothing (404).
//
// Plain data and one renderer; the tests read it in-process.
import "server-only";

export const actors = ["admin", "workspaceAdmin", "editor", "viewer", "anonymous", "apiKey", "adminKey"] as const;
export type Actor = (typeof actors)[number];

export const actorLabels: Record<Actor, string> = {
  admin: "instance admin",
  workspaceAdmin: "workspace admin",
  editor: "editor",
  viewer: "viewer",
  anonymous: "anonymous",
  apiKey: "API key (no admin scope)",
  adminKey: "API key (admin scope)",
};

type Allow = readonly Actor[];
/** A workspace's management API: its admins (and the instance's), or an admin key. */
const MANAGEMENT: Allow = ["admin", "workspaceAdmin", "adminKey"];
/** What the instance owns: instance admins, or an admin key of Default. */
const INSTANCE: Allow = ["admin", "adminKey"];
const ADMIN_SESSION: Allow = ["admin", "workspaceAdmin"];
const INSTANCE_SESSION: Allow = ["admin"];
const EDITORS: Allow = ["admin", "workspaceAdmin", "editor"];
const SIGNED_IN: Allow = ["admin", "workspaceAdmin", "editor", "viewer"];
const SIGNED_IN_OR_ADMIN_KEY: Allow = ["admin", "workspaceAdmin", "editor", "viewer", "adminKey"];
const ANY_KEY: Allow = ["apiKey", "adminKey"];
const COMPLETIONS_KEY: Allow = ["apiKey"];
const EVERYONE: Allow = actors;

/** A harmless request: allowed callers get a 4xx from validation or a missing record, never a change. */
export type RouteRule = {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** As in app/api, with [param] segments. */
  path: string;
  what: string;
  allow: Allow;
  probe?: { body?: unknown; query?: string; params?: Record<string, string> };
};

export type ActionRule = {
  /** The "use server" file and the exported action. */
  file: string;
  name: string;
  what: string;
  allow: Allow;
  /** Arguments for the probe call; allowed callers must get a validation or not-found error. */
  args?: unknown[];
};

const MISSING_ID = "00000000-0000-4000-8000-000000000000";
const NOT_AN_OBJECT = { body: [] as unknown[] };

export const routeRules: RouteRule[] = [
  // Management API: API keys
  { method: "GET", path: "/api/admin/keys", what: "List API keys", allow: MANAGEMENT },
  { method: "POST", path: "/api/admin/keys", what: "Create an API key", allow: MANAGEMENT, probe: NOT_AN_OBJECT },
  { method: "DELETE", path: "/api/admin/keys/[id]", what: "Revoke an API key", allow: MANAGEMENT },
  // Provider accounts
  { method: "GET", path: "/api/admin/accounts", what: "List provider accounts", allow: INSTANCE },
  { method: "POST", path: "/api/admin/accounts", what: "Create a provider account", allow: INSTANCE, probe: NOT_AN_OBJECT },
  { method: "GET", path: "/api/admin/accounts/[id]", what: "Read a provider account", allow: INSTANCE },
  { method: "PATCH", path: "/api/admin/accounts/[id]", what: "Update a provider account", allow: INSTANCE, probe: NOT_AN_OBJECT },
  { method: "DELETE", path: "/api/admin/accounts/[id]", what: "Delete a provider account", allow: INSTANCE },
  { method: "POST", path: "/api/admin/accounts/[id]/test", what: "Test a provider account's connection", allow: INSTANCE },
  { method: "GET", path: "/api/admin/accounts/[id]/health", what: "Read an account's health", allow: INSTANCE },
  { method: "POST", path: "/api/admin/accounts/[id]/actions", what: "Run a health action on an account", allow: INSTANCE, probe: NOT_AN_OBJECT },
  { method: "GET", path: "/api/admin/accounts/health", what: "Read every account's health", allow: INSTANCE },
  { method: "GET", path: "/api/admin/accounts/routing", what: "Read routing settings", allow: INSTANCE },
  { method: "PUT", path: "/api/admin/accounts/routing", what: "Change routing settings", allow: INSTANCE, probe: NOT_AN_OBJECT },
  // Workspaces (instance admins)
  { method: "GET", path: "/api/admin/workspaces", what: "List workspaces", allow: INSTANCE },
  { method: "POST", path: "/api/admin/workspaces", what: "Create a workspace", allow: INSTANCE, probe: NOT_AN_OBJECT },
  { method: "PATCH", path: "/api/admin/workspaces/[id]", what: "Rename a workspace or set its allowed models", allow: INSTANCE, probe: NOT_AN_OBJECT },
  { method: "GET", path: "/api/admin/workspaces/[id]/members", what: "List a workspace's members", allow: INSTANCE },
  { method: "PUT", path: "/api/admin/workspaces/[id]/members", what: "Add a member or change their role", allow: INSTANCE, probe: NOT_AN_OBJECT },
  { method: "DELETE", path: "/api/admin/workspaces/[id]/members", what: "Remove a member", allow: INSTANCE, probe: { query: "email=rbac-probe%40missing.test" } },
  // Quotas
  { method: "GET", path: "/api/admin/quotas", what: "List quota policies", allow: MANAGEMENT },
  { method: "POST", path: "/api/admin/quotas", what: "Create a quota policy", allow: MANAGEMENT, probe: NOT_AN_OBJECT },
  { method: "GET", path: "/api/admin/quotas/[id]", what: "Read a quota policy", allow: MANAGEMENT },
  { method: "PATCH", path: "/api/admin/quotas/[id]", what: "Update a quota policy", allow: MANAGEMENT, probe: NOT_AN_OBJECT },
  { method: "DELETE", path: "/api/admin/quotas/[id]", what: "Delete a quota policy", allow: MANAGEMENT },
  { method: "POST", path: "/api/admin/quotas/[id]/raise", what: "Raise a budget temporarily", allow: INSTANCE, probe: NOT_AN_OBJECT },
  { method: "DELETE", path: "/api/admin/quotas/[id]/raise", what: "End a budget raise", allow: INSTANCE },
  { method: "POST", path: "/api/admin/quotas/[id]/reset", what: "Reset a budget's current window", allow: INSTANCE, probe: NOT_AN_OBJECT },
  // Webhooks: a workspace's admins manage its endpoints; instance-wide endpoints are instance admins' (lib/webhooks)
  { method: "GET", path: "/api/admin/webhooks", what: "List webhook endpoints", allow: MANAGEMENT },
  { method: "POST", path: "/api/admin/webhooks", what: "Create a webhook endpoint", allow: MANAGEMENT, probe: NOT_AN_OBJECT },
  { method: "GET", path: "/api/admin/webhooks/[id]", what: "Read a webhook endpoint", allow: MANAGEMENT },
  { method: "PATCH", path: "/api/admin/webhooks/[id]", what: "Update, enable or disable a webhook endpoint", allow: MANAGEMENT, probe: NOT_AN_OBJECT },
  { method: "DELETE", path: "/api/admin/webhooks/[id]", what: "Delete a webhook endpoint", allow: MANAGEMENT },
  { method: "POST", path: "/api/admin/webhooks/[id]/test", what: "Send a webhook endpoint a test event", allow: MANAGEMENT },
  { method: "POST", path: "/api/admin/webhooks/[id]/rotate-secret", what: "Rotate a webhook endpoint's signing secret", allow: MANAGEMENT },
  { method: "GET", path: "/api/admin/webhooks/[id]/deliveries", what: "Read a webhook endpoint's delivery log", allow: MANAGEMENT },
  { method: "POST", path: "/api/admin/webhooks/deliveries/[id]/redeliver", what: "Redeliver a webhook delivery", allow: MANAGEMENT },
  // Datasets and evaluation runs: a workspace's admins (lib/evals)
  { method: "GET", path: "/api/admin/datasets", what: "List datasets", allow: MANAGEMENT },
  { method: "POST", path: "/api/admin/datasets", what: "Create a dataset", allow: MANAGEMENT, probe: NOT_AN_OBJECT },
  { method: "GET", path: "/api/admin/datasets/[id]", what: "Read a dataset and its versions", allow: MANAGEMENT },
  { method: "PATCH", path: "/api/admin/datasets/[id]", what: "Rename or describe a dataset", allow: MANAGEMENT, probe: NOT_AN_OBJECT },
  { method: "DELETE", path: "/api/admin/datasets/[id]", what: "Delete a dataset", allow: MANAGEMENT },
  { method: "GET", path: "/api/admin/datasets/[id]/rows", what: "Read a dataset version's rows", allow: MANAGEMENT },
  { method: "POST", path: "/api/admin/datasets/[id]/rows", what: "Add dataset rows by hand (a new version)", allow: MANAGEMENT, probe: NOT_AN_OBJECT },
  { method: "POST", path: "/api/admin/datasets/[id]/upload", what: "Upload dataset rows, CSV or JSONL (a new version)", allow: MANAGEMENT, probe: NOT_AN_OBJECT },
  { method: "POST", path: "/api/admin/datasets/[id]/import-logs", what: "Import dataset rows from a key's request logs (a new version)", allow: MANAGEMENT, probe: NOT_AN_OBJECT },
  { method: "GET", path: "/api/admin/evaluations", what: "List evaluation runs", allow: MANAGEMENT },
  { method: "POST", path: "/api/admin/evaluations", what: "Start an evaluation run", allow: MANAGEMENT, probe: NOT_AN_OBJECT },
  { method: "GET", path: "/api/admin/evaluations/[id]", what: "Read an evaluation run's progress and aggregates", allow: MANAGEMENT },
  { method: "DELETE", path: "/api/admin/evaluations/[id]", what: "Delete an ended evaluation run", allow: MANAGEMENT },
  { method: "POST", path: "/api/admin/evaluations/[id]/cancel", what: "Cancel an evaluation run", allow: MANAGEMENT },
  { method: "GET", path: "/api/admin/evaluations/[id]/rows", what: "Read an evaluation run's rows", allow: MANAGEMENT },
  { method: "GET", path: "/api/admin/evaluations/compare", what: "Compare two evaluation runs (paired)", allow: MANAGEMENT, probe: { query: `a=${MISSING_ID}&b=${MISSING_ID}` } },
  { method: "GET", path: "/api/admin/evaluations/gates", what: "List evaluation gates on prompt labels", allow: MANAGEMENT },
  { method: "PUT", path: "/api/admin/evaluations/gates", what: "Set a prompt label's evaluation gate", allow: MANAGEMENT, probe: NOT_AN_OBJECT },
  { method: "DELETE", path: "/api/admin/evaluations/gates/[id]", what: "Remove an evaluation gate", allow: MANAGEMENT },
  // Prompts (the management API is admin-only; editors edit prompts in the console)
  { method: "GET", path: "/api/admin/prompts", what: "List prompts", allow: MANAGEMENT },
  { method: "POST", path: "/api/admin/prompts", what: "Create a prompt", allow: MANAGEMENT, probe: NOT_AN_OBJECT },
  { method: "GET", path: "/api/admin/prompts/[name]", what: "Read a prompt", allow: MANAGEMENT },
  { method: "PATCH", path: "/api/admin/prompts/[name]", what: "Update a prompt", allow: MANAGEMENT, probe: NOT_AN_OBJECT },
  { method: "GET", path: "/api/admin/prompts/[name]/versions", what: "List a prompt's versions", allow: MANAGEMENT },
  { method: "POST", path: "/api/admin/prompts/[name]/versions", what: "Save a prompt version", allow: MANAGEMENT, probe: NOT_AN_OBJECT },
  { method: "GET", path: "/api/admin/prompts/[name]/versions/[version]", what: "Read a prompt version", allow: MANAGEMENT, probe: { params: { version: "999999" } } },
  { method: "GET", path: "/api/admin/prompts/[name]/diff", what: "Diff two prompt versions", allow: MANAGEMENT },
  { method: "PUT", path: "/api/admin/prompts/[name]/labels/[label]", what: "Move a prompt label", allow: MANAGEMENT, probe: NOT_AN_OBJECT },
  { method: "DELETE", path: "/api/admin/prompts/[name]/labels/[label]", what: "Delete a prompt label", allow: MANAGEMENT },
  { method: "GET", path: "/api/admin/prompts/globals", what: "List global prompt variables", allow: MANAGEMENT },
  { method: "PUT", path: "/api/admin/prompts/globals", what: "Set a global prompt variable", allow: MANAGEMENT, probe: NOT_AN_OBJECT },
  { method: "DELETE", path: "/api/admin/prompts/globals/[name]", what: "Delete a global prompt variable", allow: MANAGEMENT },
  // Experiments and usage: readable by every signed-in user (and admin keys)
  { method: "GET", path: "/api/admin/experiments/[id]/results", what: "Read an experiment's results", allow: SIGNED_IN },
  { method: "GET", path: "/api/admin/usage/dashboard", what: "Usage dashboard data", allow: SIGNED_IN_OR_ADMIN_KEY },
  { method: "GET", path: "/api/admin/usage/export/aggregate", what: "Export aggregated usage (CSV)", allow: SIGNED_IN_OR_ADMIN_KEY },
  { method: "GET", path: "/api/admin/usage/export/events", what: "Export usage events (CSV)", allow: SIGNED_IN_OR_ADMIN_KEY },
  // Console API: the console's reads (GET, or POST where a draft is the question) and the playground
  { method: "GET", path: "/api/console/prompts/[name]", what: "Read a prompt (console)", allow: SIGNED_IN },
  { method: "GET", path: "/api/console/prompts/[name]/versions/[version]", what: "Read a prompt version (console)", allow: SIGNED_IN, probe: { params: { version: "999999" } } },
  { method: "GET", path: "/api/console/prompts/[name]/diff", what: "Diff two prompt versions (console)", allow: SIGNED_IN },
  { method: "POST", path: "/api/console/prompts/[name]/diff", what: "Diff a draft against a prompt version", allow: SIGNED_IN, probe: NOT_AN_OBJECT },
  { method: "POST", path: "/api/console/preview", what: "Preview a rendered prompt draft", allow: SIGNED_IN, probe: NOT_AN_OBJECT },
  { method: "GET", path: "/api/console/prompt-refs", what: "List prompt names and labels for includes (console)", allow: SIGNED_IN },
  { method: "POST", path: "/api/console/playground", what: "Run the prompt playground", allow: EDITORS, probe: NOT_AN_OBJECT },
  { method: "GET", path: "/api/console/playground/runs/[completionId]", what: "Read a playground run's recorded numbers", allow: EDITORS },
  { method: "GET", path: "/api/console/accounts/health", what: "Read every account's health (console)", allow: SIGNED_IN },
  { method: "GET", path: "/api/console/accounts/[id]/health", what: "Read one account's health (console)", allow: SIGNED_IN },
  // Gateway and public routes
  { method: "POST", path: "/api/v1/chat/completions", what: "Chat completion", allow: COMPLETIONS_KEY, probe: { body: { model: "rbac-probe-model", messages: [{ role: "user", content: "x" }] } } },
  { method: "POST", path: "/api/v1/messages", what: "Anthropic Messages call", allow: COMPLETIONS_KEY, probe: { body: { model: "rbac-probe-model", max_tokens: 8, messages: [{ role: "user", content: "x" }] } } },
  { method: "POST", path: "/api/v1/messages/count_tokens", what: "Count a Messages request's tokens", allow: COMPLETIONS_KEY, probe: { body: { model: "rbac-probe-model", messages: [{ role: "user", content: "x" }] } } },
  { method: "POST", path: "/api/v1/embeddings", what: "Embeddings", allow: COMPLETIONS_KEY, probe: { body: { model: "rbac-probe-model", input: "x" } } },
  { method: "POST", path: "/api/completion", what: "Template completion", allow: COMPLETIONS_KEY, probe: { body: { prompt: "rbac-probe-missing", variables: {} } } },
  { method: "GET", path: "/api/v1/models", what: "List models", allow: ANY_KEY },
  { method: "POST", path: "/api/v1/responses", what: "Create a response (OpenAI Responses API)", allow: COMPLETIONS_KEY, probe: { body: { model: "rbac-probe-model", input: "x" } } },
  { method: "GET", path: "/api/v1/responses/[id]", what: "Read the calling key's stored response", allow: ANY_KEY },
  { method: "DELETE", path: "/api/v1/responses/[id]", what: "Delete the calling key's stored response", allow: ANY_KEY },
  { method: "GET", path: "/api/v1/usage", what: "The calling key's usage", allow: ANY_KEY },
  { method: "GET", path: "/api/quota", what: "The calling key's quota status", allow: ANY_KEY },
  { method: "GET", path: "/api/prompts/[name]", what: "Render a prompt template", allow: ANY_KEY },
  { method: "POST", path: "/api/feedback", what: "Record feedback for a completion", allow: ANY_KEY, probe: NOT_AN_OBJECT },
  { method: "POST", path: "/api/auth/token", what: "Exchange an API key for service tokens", allow: EVERYONE, probe: NOT_AN_OBJECT },
  { method: "GET", path: "/api/health/live", what: "Liveness", allow: EVERYONE },
  { method: "GET", path: "/api/health/ready", what: "Readiness", allow: EVERYONE },
];

export const actionRules: ActionRule[] = [
  // API keys
  { file: "app/(console)/keys/actions.ts", name: "createApiKeyAction", what: "Create an API key", allow: ADMIN_SESSION },
  { file: "app/(console)/keys/actions.ts", name: "revokeApiKeyAction", what: "Revoke an API key", allow: ADMIN_SESSION, args: [MISSING_ID] },
  { file: "app/(console)/keys/actions.ts", name: "updateKeyFiltersAction", what: "Change a key's content filters", allow: ADMIN_SESSION, args: [{ id: MISSING_ID }] },
  { file: "app/(console)/keys/actions.ts", name: "enableSigningAction", what: "Require signed requests for a key", allow: ADMIN_SESSION, args: [MISSING_ID] },
  { file: "app/(console)/keys/actions.ts", name: "disableSigningAction", what: "Turn off request signing for a key", allow: ADMIN_SESSION, args: [MISSING_ID] },
  { file: "app/(console)/keys/actions.ts", name: "setKeyLoggingAction", what: "Turn request/response logging for a key on or off", allow: ADMIN_SESSION, args: [{ id: MISSING_ID, enabled: false, retentionDays: 7 }] },
  { file: "app/(console)/keys/actions.ts", name: "setKeyCacheAction", what: "Opt a key into the response cache", allow: ADMIN_SESSION, args: [{ id: MISSING_ID, enabled: true }] },
  // Users
  { file: "app/(console)/users/actions.ts", name: "createUserAction", what: "Create a user", allow: INSTANCE_SESSION },
  { file: "app/(console)/users/actions.ts", name: "setUserRoleAction", what: "Change a user's role", allow: INSTANCE_SESSION },
  { file: "app/(console)/users/actions.ts", name: "setUserDisabledAction", what: "Disable or enable a user", allow: INSTANCE_SESSION },
  { file: "app/(console)/users/actions.ts", name: "resetUserPasswordAction", what: "Reset a user's password", allow: INSTANCE_SESSION, args: [{ id: MISSING_ID }] },
  { file: "app/(console)/account/actions.ts", name: "changePasswordAction", what: "Change one's own password", allow: SIGNED_IN, args: [{ currentPassword: "not-the-password", newPassword: "short" }] },
  { file: "app/(console)/account/actions.ts", name: "endAllSessionsAction", what: "End all of one's own sessions", allow: SIGNED_IN, args: [{ confirm: false }] },
  // Accounts
  { file: "app/(console)/accounts/actions.ts", name: "createAccountAction", what: "Create a provider account", allow: INSTANCE_SESSION },
  { file: "app/(console)/accounts/actions.ts", name: "updateAccountAction", what: "Update a provider account", allow: INSTANCE_SESSION, args: [{ id: MISSING_ID }] },
  { file: "app/(console)/accounts/actions.ts", name: "deleteAccountAction", what: "Delete a provider account", allow: INSTANCE_SESSION, args: [MISSING_ID] },
  { file: "app/(console)/accounts/actions.ts", name: "testAccountAction", what: "Test a provider account", allow: INSTANCE_SESSION, args: [MISSING_ID] },
  { file: "app/(console)/accounts/actions.ts", name: "accountHealthActionAction", what: "Run a health action on an account", allow: INSTANCE_SESSION },
  { file: "app/(console)/accounts/actions.ts", name: "updateRoutingAction", what: "Change routing settings", allow: INSTANCE_SESSION },
  // Workspaces: instance admins manage them; everyone switches between their own
  { file: "app/(console)/workspaces/actions.ts", name: "createWorkspaceAction", what: "Create a workspace", allow: INSTANCE_SESSION },
  { file: "app/(console)/workspaces/actions.ts", name: "updateWorkspaceAction", what: "Rename a workspace or set its allowed models", allow: INSTANCE_SESSION, args: [{ id: MISSING_ID }] },
  { file: "app/(console)/workspaces/actions.ts", name: "setMemberAction", what: "Add a workspace member or change their role", allow: INSTANCE_SESSION, args: [{ workspaceId: MISSING_ID, email: "rbac-probe@missing.test", role: "viewer" }] },
  { file: "app/(console)/workspaces/actions.ts", name: "removeMemberAction", what: "Remove a workspace member", allow: INSTANCE_SESSION, args: [{ workspaceId: MISSING_ID, email: "rbac-probe@missing.test" }] },
  { file: "app/(console)/workspaces/actions.ts", name: "switchWorkspaceAction", what: "Switch the console to another of one's workspaces", allow: SIGNED_IN, args: [{ workspaceId: MISSING_ID }] },
  // Quotas
  { file: "app/(console)/quotas/actions.ts", name: "createQuotaPolicyAction", what: "Create a quota policy", allow: ADMIN_SESSION },
  { file: "app/(console)/quotas/actions.ts", name: "updateQuotaPolicyAction", what: "Update a quota policy", allow: ADMIN_SESSION, args: [{ id: MISSING_ID }] },
  { file: "app/(console)/quotas/actions.ts", name: "deleteQuotaPolicyAction", what: "Delete a quota policy", allow: ADMIN_SESSION, args: [MISSING_ID] },
  { file: "app/(console)/quotas/actions.ts", name: "raiseQuotaAction", what: "Raise a budget temporarily", allow: INSTANCE_SESSION, args: [{ id: MISSING_ID }] },
  { file: "app/(console)/quotas/actions.ts", name: "endRaiseAction", what: "End a budget raise", allow: INSTANCE_SESSION, args: [MISSING_ID] },
  { file: "app/(console)/quotas/actions.ts", name: "resetQuotaWindowAction", what: "Reset a budget's current window", allow: INSTANCE_SESSION, args: [{ id: MISSING_ID }] },
  // Webhooks
  { file: "app/(console)/webhooks/actions.ts", name: "createWebhookAction", what: "Create a webhook endpoint", allow: ADMIN_SESSION },
  { file: "app/(console)/webhooks/actions.ts", name: "updateWebhookAction", what: "Update, enable or disable a webhook endpoint", allow: ADMIN_SESSION, args: [{ id: MISSING_ID }] },
  { file: "app/(console)/webhooks/actions.ts", name: "deleteWebhookAction", what: "Delete a webhook endpoint", allow: ADMIN_SESSION, args: [MISSING_ID] },
  { file: "app/(console)/webhooks/actions.ts", name: "rotateWebhookSecretAction", what: "Rotate a webhook endpoint's signing secret", allow: ADMIN_SESSION, args: [MISSING_ID] },
  { file: "app/(console)/webhooks/actions.ts", name: "testWebhookAction", what: "Send a webhook endpoint a test event", allow: ADMIN_SESSION, args: [MISSING_ID] },
  { file: "app/(console)/webhooks/actions.ts", name: "redeliverAction", what: "Redeliver a webhook delivery", allow: ADMIN_SESSION, args: [MISSING_ID] },
  // Prices
  { file: "app/(console)/usage/pricing/actions.ts", name: "createPriceAction", what: "Add a model price", allow: INSTANCE_SESSION },
  { file: "app/(console)/usage/pricing/actions.ts", name: "deletePriceAction", what: "Delete a model price", allow: INSTANCE_SESSION, args: [MISSING_ID] },
  // Prompts: editors edit (viewers read through /api/console/prompts)
  { file: "app/(console)/prompts/actions.ts", name: "createPromptAction", what: "Create a prompt", allow: EDITORS },
  { file: "app/(console)/prompts/actions.ts", name: "saveVersionAction", what: "Save a prompt version", allow: EDITORS },
  { file: "app/(console)/prompts/actions.ts", name: "moveLabelAction", what: "Move a prompt label", allow: EDITORS },
  { file: "app/(console)/prompts/actions.ts", name: "deleteLabelAction", what: "Delete a prompt label", allow: EDITORS },
  { file: "app/(console)/prompts/actions.ts", name: "updatePromptAction", what: "Update a prompt's settings", allow: EDITORS },
  { file: "app/(console)/prompts/actions.ts", name: "setGlobalAction", what: "Set a global prompt variable", allow: ADMIN_SESSION },
  { file: "app/(console)/prompts/actions.ts", name: "deleteGlobalAction", what: "Delete a global prompt variable", allow: ADMIN_SESSION },
  // Experiments: editors run them
  { file: "app/(console)/experiments/actions.ts", name: "createExperimentAction", what: "Create an experiment", allow: EDITORS },
  { file: "app/(console)/experiments/actions.ts", name: "stepExperimentAction", what: "Start, pause or advance an experiment", allow: EDITORS },
  { file: "app/(console)/experiments/actions.ts", name: "changeWeightsAction", what: "Change variant weights", allow: EDITORS },
  { file: "app/(console)/experiments/actions.ts", name: "completeExperimentAction", what: "Complete an experiment", allow: EDITORS },
  { file: "app/(console)/experiments/actions.ts", name: "deleteExperimentAction", what: "Delete an experiment", allow: EDITORS, args: [MISSING_ID] },
  { file: "app/(console)/experiments/actions.ts", name: "recordFeedbackAction", what: "Record feedback on a completion", allow: EDITORS },
];

/** What rbac.test.ts creates before probing protectedLabelRules. */
export type ProtectedLabelFixture = {
  /** A prompt whose `label` is protected and has versions 1 and 2. */
  prompt: string;
  label: string;
  /** A running experiment on that label, and a draft beside it. */
  running: string;
  draft: string;
};

export type ProtectedLabelRule = Omit<ActionRule, "args"> & {
  /** Probe arguments: allowed callers must get a conflict, validation or not-found error, never a change. */
  args: (f: ProtectedLabelFixture) => unknown[];
};

const PROMPT_ACTIONS = "app/(console)/prompts/actions.ts";
const EXPERIMENT_ACTIONS = "app/(console)/experiments/actions.ts";

/**
 * A protected label (a prompt's protectedLabels, `production` by default) serves live traffic, so
 * changing what it serves is an admin's action by every door; lib/prompts owns the rule
 * (assertMayChangeWhatLabelServes) and lib/experiments asks it (security finding 13.1). Stopping a
 * split (pause, complete without promoting) stays open to editors; promoting a winner is a label move.
 */
export const protectedLabelRules: ProtectedLabelRule[] = [
  { file: PROMPT_ACTIONS, name: "moveLabelAction", what: "Move a protected label", allow: ADMIN_SESSION, args: (f) => [{ name: f.prompt, label: f.label, version: 999_999 }] },
  {
    file: EXPERIMENT_ACTIONS, name: "createExperimentAction", what: "Create an experiment on a protected label (its variants and overrides)", allow: ADMIN_SESSION,
    args: (f) => [{ name: "rbac-probe", prompt: f.prompt, label: f.label, variants: [{ name: "A", version: 999_998, weight: 1 }, { name: "B", version: 999_999, weight: 1 }] }],
  },
  { file: EXPERIMENT_ACTIONS, name: "stepExperimentAction", what: "Start an experiment on a protected label", allow: ADMIN_SESSION, args: (f) => [{ id: f.running, step: "start" }] },
  { file: EXPERIMENT_ACTIONS, name: "stepExperimentAction", what: "Resume an experiment on a protected label", allow: ADMIN_SESSION, args: (f) => [{ id: f.running, step: "resume" }] },
  { file: EXPERIMENT_ACTIONS, name: "changeWeightsAction", what: "Change the weights of an experiment on a protected label", allow: ADMIN_SESSION, args: (f) => [{ id: f.running, weights: { "rbac-probe-missing": 1 } }] },
  { file: EXPERIMENT_ACTIONS, name: "stepExperimentAction", what: "Pause an experiment on a protected label", allow: EDITORS, args: (f) => [{ id: f.draft, step: "pause" }] },
  { file: EXPERIMENT_ACTIONS, name: "completeExperimentAction", what: "Complete an experiment on a protected label without promoting", allow: EDITORS, args: (f) => [{ id: f.draft }] },
];

/**
 * Server actions that are deliberately public or session-plumbing rather
 * than console mutations; the coverage test accepts them unlisted above.
 */
export const publicActions = [
  { file: "app/(auth)/login/actions.ts", name: "loginAction", why: "Signing in: public by nature, rate limited per email and IP" },
  { file: "app/(auth)/login/actions.ts", name: "ssoSignInAction", why: "Single sign-on: public by nature, it only sends the browser to the identity provider" },
  { file: "app/(console)/layout.tsx", name: "*", why: "The sign-out form's inline action" },
];

/** Routes no caller column describes: the coverage test skips them (no /api/admin prefix). */
export const unlistedRoutes = [
  { path: "GET /api/metrics", why: "Prometheus scrape: `Authorization: Bearer <METRICS_TOKEN>`, or loopback clients only when no token is set" },
  { path: "/api/auth/[...nextauth]", why: "Auth.js: sign-in, callbacks, CSRF and sign-out, public by nature" },
  { path: "/api/bench/*", why: "benchmark routes, a 404 unless the server runs with PROMPTGATE_BENCH=1" },
  { path: "/api/[...path]", why: "any other /api path: a JSON 404" },
];

/**
 * The workspace dimension of the matrix: how each caller's rows apply to the records of its
 * current workspace, of other workspaces, and to what the instance owns. Enforced by the domains
 * (workspaceOf(principal) in every query) and checked by tests/integration/workspaces/idor.test.ts.
 */
const workspaceColumns = ["Records of its current workspace", "Ids of any other workspace", "Switching the console to another workspace", "What the instance owns"];
const workspaceRows: { caller: string; cells: string[] }[] = [
  { caller: "instance admin", cells: ["admin", "404", "any workspace, as admin", "allow"] },
  { caller: "workspace admin", cells: ["admin (the rows' *workspace admin* column)", "404", "the workspaces they are a member of, with their role there; others 404", "deny"] },
  { caller: "editor", cells: ["editor", "404", "the workspaces they are a member of, with their role there; others 404", "deny"] },
  { caller: "viewer", cells: ["viewer", "404", "the workspaces they are a member of, with their role there; others 404", "deny"] },
  { caller: "API key (no admin scope)", cells: ["its scopes, in its one workspace", "404", "none: a key belongs to one workspace", "deny"] },
  { caller: "API key (admin scope) of Default", cells: ["admin of Default", "404", "none", "allow (counts as an instance admin)"] },
  { caller: "API key (admin scope) of a team workspace", cells: ["admin of that workspace", "404", "none", "deny"] },
];

const mark = (allowed: boolean) => (allowed ? "allow" : "deny");

/** docs/rbac.md, rendered from the tables above. */
export function renderRbacDoc(): string {
  const head = `| What | Where | ${actors.map((a) => actorLabels[a]).join(" | ")} |\n|---|---|${actors.map(() => ":-:").join("|")}|`;
  const routeRows = routeRules.map((r) => `| ${r.what} | \`${r.method} ${r.path}\` | ${actors.map((a) => mark(r.allow.includes(a))).join(" | ")} |`);
  const actionRow = (r: Omit<ActionRule, "args">) => `| ${r.what} | \`${r.name}\` (${r.file.replace(/^app\//, "")}) | ${actors.map((a) => mark(r.allow.includes(a))).join(" | ")} |`;
  return [
    "# Roles and access (RBAC matrix)",
    "",
    "<!-- Generated from lib/auth/rbac-matrix.ts by tests/integration/auth/rbac-coverage.test.ts; do not edit by hand. -->",
    "<!-- Regenerate: UPDATE_RBAC_DOC=1 npx vitest run --project integration tests/integration/auth/rbac-coverage.test.ts -->",
    "",
    "Every row is checked over real HTTP against a production build by `tests/integration/auth/rbac.test.ts`:",
    "each caller makes a harmless request (invalid input or a missing record), and a denial must be a 401 or 403",
    "(for server actions, an `unauthorized` or `forbidden` result) while an allowed caller must get past the check.",
    "",
    "Policy: the management API (`/api/admin`) is for admins, as an admin session or an API key with the `admin` scope.",
    "Roles are per workspace. An *instance admin* is admin in every workspace and alone manages what the instance owns (provider",
    "accounts, routing, pricing, users, workspaces); an admin key of the Default workspace counts as one. A *workspace admin* is the",
    "admin of one team workspace: every admin action inside it, nothing the instance owns. Every row acts in the caller's current",
    "workspace; another workspace's ids answer 404 (never 403) to every role, checked by `tests/integration/workspaces/idor.test.ts`.",
    "The usage rows (dashboard, both exports) and the Overview take `workspace=all` or another workspace's id from instance admins",
    "only; anyone else gets the 404 a made-up id gets (`tests/integration/usage/all-workspaces.test.ts`).",
    "In the console, editors may edit prompts and experiments but not users, API keys, accounts, quotas or prices; viewers read.",
    "Gateway routes take an API key or a service access token (`POST /api/auth/token`); the chat routes need the `completions` scope.",
    "Server actions only ever act for a signed-in console user: API keys cannot call them.",
    "",
    "## Routes",
    "",
    head,
    ...routeRows,
    "",
    "## Console server actions",
    "",
    head,
    ...actionRules.map(actionRow),
    "",
    "## Protected labels",
    "",
    "A protected label (a prompt's `protectedLabels`, `production` by default) serves live traffic, so only admins may change",
    "what it serves, by any door: moving or deleting it, setting it when saving a version, and creating, starting, resuming or",
    "re-weighting an experiment on it (which picks the versions, weights and model overrides its traffic gets). The prompts domain",
    "owns the rule and the experiments domain asks it when the action runs. Pausing an experiment or completing it without",
    "promoting stops a split, so editors keep those; promoting the winner is a label move. `rbac.test.ts` probes each row on a",
    "prompt whose `production` label is protected, with a running and a draft experiment on it.",
    "",
    head,
    ...protectedLabelRules.map(actionRow),
    "",
    "Not listed, on purpose: " + publicActions.map((p) => `\`${p.name === "*" ? p.file : p.name}\` (${p.why})`).join("; ") + ".",
    "Routes outside the matrix: " + unlistedRoutes.map((r) => `\`${r.path}\` (${r.why})`).join("; ") + ".",
    "",
    "## Across workspaces",
    "",
    "A role belongs to a membership: one user, one workspace, one role. Each row above is decided by the caller's role in the",
    "workspace the call acts in: the console's current workspace (the header's switcher, remembered per user) or the API key's",
    "workspace. The full matrix is the tables above crossed with this one:",
    "",
    `| Caller | ${workspaceColumns.join(" | ")} |`,
    `|---|${workspaceColumns.map(() => "---").join("|")}|`,
    ...workspaceRows.map((r) => `| ${r.caller} | ${r.cells.join(" | ")} |`),
    "",
    "Memberships are set by instance admins (console *Workspaces*, *Users*, the admin API and CLI: source `manual`) or granted",
    "at sign-in by single sign-on claims (`OIDC_ROLE_MAP=value=role@workspace-slug`: source `sso`). A sign-in re-applies and",
    "removes only the `sso` ones. A role or membership change takes effect on the caller's next request (the role is read with",
    "the user on every request); one made by a single sign-on also ends the user's older sessions.",
    "",
  ].join("\n");
}
