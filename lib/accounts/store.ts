import "server-only";
import { db, Prisma } from "@/lib/db";
import { withAudit } from "@/lib/audit";
import { notFound } from "@/lib/core";
import type { Principal } from "@/lib/core";
import { createAccountInput, updateAccountInput } from "./schemas";
import { encryptSecret, last4 } from "@/lib/secrets";
import { invalidateRegistry } from "./registry";
import { auditedSettings, dropHeaderValues, headersOf, maskedSettings, sealedLegacy, sealSettings } from "./header-secrets";

// What the console and the API may see of an account: never the secret itself,
// and settings only through publicView (header values masked).
export const publicAccountFields = {
  id: true, name: true, provider: true, baseUrl: true, secretLast4: true, secretCleared: true, models: true, aliases: true,
  settings: true, enabled: true, weight: true, priority: true, firstByteTimeoutMs: true, idleTimeoutMs: true,
  rpmLimit: true, tpmLimit: true, draining: true, probeMode: true, probeIntervalSec: true, probeModel: true, modelOverrides: true,
  createdAt: true, updatedAt: true,
} as const satisfies Prisma.ProviderAccountSelect;

export type PublicAccount = Prisma.ProviderAccountGetPayload<{ select: typeof publicAccountFields }>;

const asJson = (v: unknown) => v as Prisma.InputJsonValue;

const publicView = (a: PublicAccount): PublicAccount => ({ ...a, settings: maskedSettings(a.settings) as Prisma.JsonObject });
const auditView = (a: PublicAccount) => ({ ...a, settings: auditedSettings(a.settings) });

export async function listAccounts(): Promise<PublicAccount[]> {
  const rows = await db.providerAccount.findMany({ select: publicAccountFields, orderBy: [{ priority: "asc" }, { name: "asc" }] });
  return rows.map(publicView);
}

export async function getAccount(id: string): Promise<PublicAccount> {
  const a = await db.providerAccount.findUnique({ where: { id }, select: publicAccountFields });
  if (!a) throw notFound("Account");
  return publicView(a);
}

export async function createAccount(actor: Principal, input: unknown, ip?: string | null): Promise<PublicAccount> {
  const data = createAccountInput.parse(input);
  const settings = sealSettings(data.settings, {}, false);
  const row = await withAudit(actor, { action: "account.create", targetType: "account", ip }, async (tx) => {
    const created = await tx.providerAccount.create({
      data: {
        name: data.name, provider: data.provider, baseUrl: data.baseUrl ?? null,
        secretCiphertext: data.apiKey ? encryptSecret(data.apiKey) : null,
        secretLast4: data.apiKey ? last4(data.apiKey) : null,
        models: data.models, aliases: asJson(data.aliases), settings: asJson(settings), enabled: data.enabled,
        weight: data.weight, priority: data.priority, firstByteTimeoutMs: data.firstByteTimeoutMs, idleTimeoutMs: data.idleTimeoutMs,
        rpmLimit: data.rpmLimit, tpmLimit: data.tpmLimit, probeMode: data.probeMode, probeIntervalSec: data.probeIntervalSec,
        probeModel: data.probeModel, modelOverrides: asJson(data.modelOverrides),
      },
      select: publicAccountFields,
    });
    return { result: publicView(created), targetId: created.id, after: auditView(created) };
  });
  invalidateRegistry();
  return row;
}

/**
 * A change of baseUrl or provider sends the account's calls somewhere new, so
 * nothing secret follows it there unless this same request sends it again:
 * the stored key is cleared (and the account waits, unrouted, for a key or an
 * explicit `apiKey: null`), and stored header values are dropped. Otherwise
 * anyone who may edit accounts could re-point one at their own host and
 * collect its key on the next call or test connection.
 */
export async function updateAccount(actor: Principal, id: string, input: unknown, ip?: string | null): Promise<PublicAccount> {
  const data = updateAccountInput.parse(input);
  const { apiKey, aliases, settings, modelOverrides, ...rest } = data;
  const row = await withAudit(actor, { action: "account.update", targetType: "account", ip }, async (tx) => {
    const current = await tx.providerAccount.findUnique({ where: { id }, select: { ...publicAccountFields, secretCiphertext: true } });
    if (!current) throw notFound("Account");
    const { secretCiphertext, ...before } = current;
    const repointed =
      (rest.baseUrl !== undefined && (rest.baseUrl ?? null) !== before.baseUrl) || (rest.provider !== undefined && rest.provider !== before.provider);
    const storedHeaders = Object.keys(headersOf(before.settings));
    const nextSettings =
      settings !== undefined ? sealSettings(settings, before.settings, !repointed) : repointed && storedHeaders.length ? dropHeaderValues(before.settings) : undefined;
    const clearKey = repointed && apiKey === undefined && secretCiphertext !== null;
    const kept = new Set(Object.keys(headersOf(nextSettings ?? before.settings)).map((k) => k.toLowerCase()));
    const lostHeader = repointed && storedHeaders.some((k) => !kept.has(k.toLowerCase()));
    const after = await tx.providerAccount.update({
      where: { id },
      data: {
        ...rest,
        ...(aliases !== undefined ? { aliases: asJson(aliases) } : {}),
        ...(nextSettings !== undefined ? { settings: asJson(nextSettings) } : {}),
        ...(modelOverrides !== undefined ? { modelOverrides: asJson(modelOverrides) } : {}),
        ...(apiKey !== undefined
          ? { secretCiphertext: apiKey ? encryptSecret(apiKey) : null, secretLast4: apiKey ? last4(apiKey) : null, secretCleared: false }
          : clearKey || lostHeader
            ? { secretCiphertext: null, secretLast4: null, secretCleared: true }
            : {}),
      },
      select: publicAccountFields,
    });
    return {
      result: publicView(after),
      targetId: id,
      before: auditView(before),
      after: { ...auditView(after), secretChanged: apiKey !== undefined || clearKey },
    };
  });
  invalidateRegistry();
  return row;
}

/**
 * Encrypts header values stored as plain text before they were secrets
 * (security #13.4). Run at start-up; idempotent, and safe with several
 * instances starting at once (each row is re-read under a lock).
 */
export async function sealLegacyHeaderValues(): Promise<number> {
  const rows = await db.providerAccount.findMany({ select: { id: true, settings: true } });
  let sealed = 0;
  for (const r of rows) {
    if (!sealedLegacy(r.settings)) continue;
    await db.$transaction(async (tx) => {
      const [locked] = await tx.$queryRaw<{ settings: unknown }[]>`SELECT settings FROM "ProviderAccount" WHERE id = ${r.id}::uuid FOR UPDATE`;
      const next = locked ? sealedLegacy(locked.settings) : null;
      if (!next) return;
      await tx.providerAccount.update({ where: { id: r.id }, data: { settings: asJson(next) } });
      sealed++;
    });
  }
  if (sealed) invalidateRegistry();
  return sealed;
}

export async function deleteAccount(actor: Principal, id: string, ip?: string | null): Promise<void> {
  await withAudit(actor, { action: "account.delete", targetType: "account", ip }, async (tx) => {
    const before = await tx.providerAccount.findUnique({ where: { id }, select: publicAccountFields });
    if (!before) throw notFound("Account");
    await tx.providerAccount.delete({ where: { id } });
    return { result: undefined, targetId: id, before: auditView(before) };
  });
  invalidateRegistry();
}
