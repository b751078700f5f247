import { z } from "zod";
import { EVENT_TYPES } from "@/lib/events/types";
import { activeProviderUrlPolicy, providerUrlProblem } from "@/lib/providers/schemas";

// Client-safe: the endpoint input schemas, shared by the admin API and the console form. The URL is
// checked as written here (the provider URL policy: no cloud metadata or link-local, and under
// PROVIDER_URL_POLICY=public-only nothing non-public); the server also checks every address the host
// resolves to, at create and again at every connect (lib/webhooks/url.ts).

export const webhookFormats = ["standard", "slack"] as const;
export type WebhookFormat = (typeof webhookFormats)[number];

export const formatLabels: Record<WebhookFormat, string> = {
  standard: "Standard Webhooks (signed JSON)",
  slack: "Slack incoming webhook ({text})",
};

export const webhookUrl = z
  .string()
  .trim()
  .url("must be an http(s) URL")
  .max(2000)
  .refine((u) => /^https?:\/\//i.test(u), "must be an http(s) URL")
  .superRefine((u, ctx) => {
    const problem = providerUrlProblem(u, activeProviderUrlPolicy());
    if (problem) ctx.addIssue({ code: "custom", message: `This URL ${problem}` });
  });

export const eventTypesInput = z.array(z.enum(EVENT_TYPES)).min(1, "choose at least one event type").transform((t) => [...new Set(t)]);

export const createWebhookInput = z.object({
  url: webhookUrl,
  description: z.string().trim().max(200).default(""),
  eventTypes: eventTypesInput,
  format: z.enum(webhookFormats).default("standard"),
  enabled: z.boolean().default(true),
  /** instance: every workspace's events (instance admins only); workspace: the caller's workspace. */
  scope: z.enum(["workspace", "instance"]).default("workspace"),
});
export type CreateWebhookInput = z.infer<typeof createWebhookInput>;

export const updateWebhookInput = z
  .object({
    url: webhookUrl,
    description: z.string().trim().max(200),
    eventTypes: eventTypesInput,
    format: z.enum(webhookFormats),
    enabled: z.boolean(),
  })
  .partial()
  .strict();
export type UpdateWebhookInput = z.infer<typeof updateWebhookInput>;

export const deliveryStatuses = ["pending", "delivered", "failed"] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

export const listDeliveriesQuery = z.object({
  status: z.enum(deliveryStatuses).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
