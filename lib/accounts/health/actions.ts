import "server-only";
import { publishInvalidation } from "@/lib/db";
import { withAudit } from "@/lib/audit";
import { notFound } from "@/lib/core";
import { logger } from "@/lib/observability";
import type { Principal } from "@/lib/core";
import { resetAccountHealth } from "./outcomes";
import { probeNow, type ProbeResult } from "./probes";
import { invalidateRegistry } from "../registry";
import { getAccount } from "../store";
import { accountHealthAction, type AccountHealthAction } from "../schemas";

// The health page's admin actions. Each is audited (the change and its entry
// commit together) and takes effect on every instance: flags through the
// account registry's invalidation, circuit resets through "account-health".

export type HealthActionResult = { action: AccountHealthAction; id: string; name: string; probe?: ProbeResult };

const FLAG: Partial<Record<AccountHealthAction, { enabled?: boolean; draining?: boolean }>> = {
  disable: { enabled: false },
  enable: { enabled: true },
  drain: { draining: true },
  undrain: { draining: false },
};

export async function runHealthAction(actor: Principal, id: string, input: unknown, ip?: string | null): Promise<HealthActionResult> {
  const { action } = accountHealthAction.parse(input);
  if (action === "probe") {
    const probe = await probeNow(actor, id, ip);
    return { action, id, name: (await getAccount(id)).name, probe };
  }
  const flag = FLAG[action];
  const name = await withAudit(actor, { action: `account.${action}`, targetType: "account", ip }, async (tx) => {
    const before = await tx.providerAccount.findUnique({ where: { id }, select: { name: true, enabled: true, draining: true } });
    if (!before) throw notFound("Account");
    if (!flag) return { result: before.name, targetId: id, before: { name: before.name } };
    const after = await tx.providerAccount.update({ where: { id }, data: flag, select: { name: true, enabled: true, draining: true } });
    return { result: after.name, targetId: id, before, after };
  });
  if (flag) invalidateRegistry();
  else {
    resetAccountHealth(id);
    publishInvalidation("account-health", `reset:${id}`).catch((err: unknown) => logger.warn({ err }, "could not publish circuit reset"));
  }
  return { action, id, name };
}
