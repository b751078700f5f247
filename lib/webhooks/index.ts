import "server-only";
// Outbound webhooks and email: endpoints, the delivery log, and the worker that delivers the outbox
// (lib/events) at least once. See README.md for the invariants.
export {
  listWebhooks, getWebhook, createWebhook, updateWebhook, deleteWebhook, rotateWebhookSecret, sendTestEvent, listDeliveries, redeliver,
  type WebhookEndpointView, type WebhookDeliveryView,
} from "./store";
export { startWebhookWorker, stopWebhookWorker, wakeWebhookWorker, deliverDue, fanOut, leaseMs } from "./delivery";
export { retryDelayMs } from "./backoff";
export { emailEnabled } from "./email";
export { signatureFor, webhookHeaders, newWebhookSecret } from "./signing";
export * from "./schemas";
