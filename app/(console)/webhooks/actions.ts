"use server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { authedAction } from "@/lib/auth";
import {
  createWebhook, createWebhookInput, deleteWebhook, redeliver, rotateWebhookSecret, sendTestEvent, updateWebhook, updateWebhookInput,
} from "@/lib/webhooks";

const endpointId = z.string().uuid("must be a webhook endpoint id");

export const createWebhookAction = authedAction("admin", createWebhookInput, async (actor, input, ip) => {
  const { endpoint, secret } = await createWebhook(actor, input, ip);
  revalidatePath("/webhooks");
  return { id: endpoint.id, secret };
});

// The endpoint's id beside the fields, so a bad field is named as the form names it.
export const updateWebhookAction = authedAction("admin", updateWebhookInput.extend({ id: endpointId }), async (actor, { id, ...changes }, ip) => {
  const e = await updateWebhook(actor, id, changes, ip);
  revalidatePath("/webhooks");
  revalidatePath(`/webhooks/${id}`);
  return { id: e.id, enabled: e.enabled };
});

export const deleteWebhookAction = authedAction("admin", endpointId, async (actor, id, ip) => {
  await deleteWebhook(actor, id, ip);
  revalidatePath("/webhooks");
  return { id };
});

export const rotateWebhookSecretAction = authedAction("admin", endpointId, async (actor, id, ip) => {
  const { secret } = await rotateWebhookSecret(actor, id, ip);
  return { secret };
});

export const testWebhookAction = authedAction("admin", endpointId, async (actor, id, ip) => {
  const out = await sendTestEvent(actor, id, ip);
  revalidatePath(`/webhooks/${id}`);
  return out;
});

export const redeliverAction = authedAction("admin", z.string().uuid("must be a webhook delivery id"), async (actor, id, ip) => {
  const d = await redeliver(actor, id, ip);
  if (d.endpointId) revalidatePath(`/webhooks/${d.endpointId}`);
  return { id: d.id, status: d.status };
});
