import "server-only";
import { db, Prisma } from "@/lib/db";
import { withAudit } from "@/lib/audit";
import { notFound } from "@/lib/http/errors";
import type { Principal } from "@/lib/auth/principal";
import { createAccountInput, updateAccountInput } from "./schemas";
import { encryptSecret, last4 } from "./secrets";
import { invalidateRegistry } from "./registry";

// What the console and the API may see of an account: never the secret itself.
export const publicAccountFields = {
  id: true, name: true, provider: true, baseUrl: true, secretLast4: true, models: true, aliases: true,
  settings: true, enabled: true, weight: true, priority: true, firstByteTimeoutMs: true, idleTimeoutMs: true,
  rpmLimit: true, tpmLimit: true, draining: true, probeMode: true, probeIntervalSec: true, probeModel: true, modelOverrides: true,
  createdAt: true, updatedAt: true,
} as const satisfies Prisma.ProviderAccountSelect;

export type PublicAccount = Prisma.ProviderAccountGetPayload<{ select: typeof publicAccountFields }>;

const asJson = (v: unknown) => v as Prisma.InputJsonValue;

export async function listAccounts(): Promise<PublicAccount[]> {
  return db.providerAccount.findMany({ select: publicAccountFields, orderBy: [{ priority: "asc" }, { name: "asc" }] });
}

export async function getAccount(id: string): Promise<PublicAccount> {
  const a = await db.providerAccount.findUnique({ where: { id }, select: publicAccountFields });
  if (!a) throw notFound("Account");
  return a;
}

export async function createAccount(actor: Principal, input: unknown, ip?: string | null): Promise<PublicAccount> {
  const data = createAccountInput.parse(input);
  const row = await withAudit(actor, { action: "account.create", targetType: "account", ip }, async (tx) => {
    const created = await tx.providerAccount.create({
      data: {
        name: data.name, provider: data.provider, baseUrl: data.baseUrl ?? null,
        secretCiphertext: data.apiKey ? encryptSecret(data.apiKey) : null,
        secretLast4: data.apiKey ? last4(data.apiKey) : null,
        models: data.models, aliases: asJson(data.aliases), settings: asJson(data.settings), enabled: data.enabled,
        weight: data.weight, priority: data.priority, firstByteTimeoutMs: data.firstByteTimeoutMs, idleTimeoutMs: data.idleTimeoutMs,
        rpmLimit: data.rpmLimit, tpmLimit: data.tpmLimit, probeMode: data.probeMode, probeIntervalSec: data.probeIntervalSec,
        probeModel: data.probeModel, modelOverrides: asJson(data.modelOverrides),
      },
      select: publicAccountFields,
    });
    return { result: created, targetId: created.id, after: created };
  });
  invalidateRegistry();
  return row;
}

export async function updateAccount(actor: Principal, id: string, input: unknown, ip?: string | null): Promise<PublicAccount> {
  const data = updateAccountInput.parse(input);
  const { apiKey, aliases, settings, modelOverrides, ...rest } = data;
  const row = await withAudit(actor, { action: "account.update", targetType: "account", ip }, async (tx) => {
    const before = await tx.providerAccount.findUnique({ where: { id }, select: publicAccountFields });
    if (!before) throw notFound("Account");
    const after = await tx.providerAccount.update({
      where: { id },
      data: {
        ...rest,
        ...(aliases !== undefined ? { aliases: asJson(aliases) } : {}),
        ...(settings !== undefined ? { settings: asJson(settings) } : {}),
        ...(modelOverrides !== undefined ? { modelOverrides: asJson(modelOverrides) } : {}),
        ...(apiKey !== undefined
          ? { secretCiphertext: apiKey ? encryptSecret(apiKey) : null, secretLast4: apiKey ? last4(apiKey) : null }
          : {}),
      },
      select: publicAccountFields,
    });
    return { result: after, targetId: id, before, after: { ...after, secretChanged: apiKey !== undefined } };
  });
  invalidateRegistry();
  return row;
}

export async function deleteAccount(actor: Principal, id: string, ip?: string | null): Promise<void> {
  await withAudit(actor, { action: "account.delete", targetType: "account", ip }, async (tx) => {
    const before = await tx.providerAccount.findUnique({ where: { id }, select: publicAccountFields });
    if (!before) throw notFound("Account");
    await tx.providerAccount.delete({ where: { id } });
    return { result: undefined, targetId: id, before };
  });
  invalidateRegistry();
}
