// Client-safe: the event catalogue, which the webhooks form lists too.

/** Every event type the outbox carries; webhook endpoints subscribe to a subset. */
export const EVENT_TYPES = [
  "budget.threshold",
  "budget.exhausted",
  "account.circuit_opened",
  "account.circuit_closed",
  "experiment.started",
  "experiment.completed",
  "prompt.version_created",
  "prompt.label_moved",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The ping that "Send test event" puts through the real delivery path to one endpoint; no endpoint subscribes to it. */
export const TEST_EVENT = "webhook.test";

export const eventDescriptions: Record<EventType, string> = {
  "budget.threshold": "A workspace budget crossed a soft threshold (50, 80, 100 %)",
  "budget.exhausted": "A workspace budget refused a call",
  "account.circuit_opened": "A provider account's circuit opened (instance-wide endpoints only)",
  "account.circuit_closed": "A provider account's circuit closed again (instance-wide endpoints only)",
  "experiment.started": "An experiment started",
  "experiment.completed": "An experiment completed",
  "prompt.version_created": "A prompt version was saved",
  "prompt.label_moved": "A prompt label moved to another version",
};
