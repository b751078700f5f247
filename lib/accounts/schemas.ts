import { z } from "zod";
import { providerKind } from "@/lib/providers/schemas";

// Cloud metadata endpoints are never a legitimate upstream: a base URL pointing
// there would let anyone with the admin role read instance credentials (SSRF).
// Private ranges stay allowed because self-hosted models live there.
const METADATA_HOSTS = new Set(["169.254.169.254", "metadata.google.internal", "metadata", "100.100.100.200", "[fd00:ec2::254]", "fd00:ec2::254"]);

export const baseUrl = z
  .string()
  .trim()
  .url("must be an http(s) URL")
  .refine((u) => /^https?:\/\//i.test(u), "must be an http(s) URL")
  .refine((u) => !METADATA_HOSTS.has(new URL(u).hostname.toLowerCase()), "points at a cloud metadata address, which is blocked")
  .transform((u) => u.replace(/\/+$/, ""));

const modelPattern = z.string().trim().min(1).max(200).regex(/^[A-Za-z0-9._:/@*-]+$/, "may contain letters, digits, . _ : / @ - and *");

const fields = {
  name: z.string().trim().min(1, "is required").max(100),
  provider: providerKind,
  baseUrl: baseUrl.nullish(),
  apiKey: z.string().trim().min(1).max(4000).nullish(),
  models: z.array(modelPattern).max(500),
  aliases: z.record(modelPattern, modelPattern),
  settings: z.record(z.string(), z.unknown()),
  enabled: z.boolean(),
  weight: z.number().int().min(0).max(1000),
  priority: z.number().int().min(0).max(100),
  firstByteTimeoutMs: z.number().int().min(100).max(600_000),
  idleTimeoutMs: z.number().int().min(100).max(600_000),
};

export const createAccountInput = z
  .object({
    ...fields,
    models: fields.models.default([]),
    aliases: fields.aliases.default({}),
    settings: fields.settings.default({}),
    enabled: fields.enabled.default(true),
    weight: fields.weight.default(1),
    priority: fields.priority.default(0),
    firstByteTimeoutMs: fields.firstByteTimeoutMs.default(30_000),
    idleTimeoutMs: fields.idleTimeoutMs.default(60_000),
  })
  .refine((a) => a.provider !== "azure" || a.baseUrl, {
    message: "is required for Azure (the deployment URL)",
    path: ["baseUrl"],
  });
export type CreateAccountInput = z.input<typeof createAccountInput>;

/** Every field optional; `apiKey: null` clears the secret, absent keeps it. */
export const updateAccountInput = z.object(fields).partial();
export type UpdateAccountInput = z.input<typeof updateAccountInput>;
