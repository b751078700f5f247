import "server-only";
import { db, isUuid, type DbClient } from "@/lib/db";
import { recordAudit } from "@/lib/audit";
import { AppError, notFound, type Principal } from "@/lib/core";
import { invalidatePolicies, toView } from "./policies";
import { raisePolicyInput, resetWindowInput, type PolicyView } from "./schemas";
import { now } from "./windows";

// What an instance admin does to a budget without editing its policy (issue 19 §1): raise it until a
// time, or forget what the current window has used. Instance admins act on any workspace's policy, so
// the audit entry names the policy's workspace, not the admin's current one. quota_reserve reads the
// raise from the policy row itself (quota_limits), so it binds on the next call of every instance.

async function policyOf(tx: DbClient, id: string) {
  const p = isUuid(id) ? await tx.quotaPolicy.findUnique({ where: { id } }) : null;
  if (!p) throw notFound("Quota policy");
  return p;
}

/** Raises some day/month limits of a policy until `until`; replaces any earlier raise. Audited. */
export async function raisePolicy(actor: Principal, id: string, input: unknown, ip?: string | null): Promise<PolicyView> {
  const r = raisePolicyInput.parse(input);
  const view = await db.$transaction(async (tx) => {
    const found = await policyOf(tx, id);
    // Raising a limit the policy does not set would create one: that is an edit of the policy, not a raise.
    for (const [field, extra] of [["tokensPerDay", r.tokensPerDay], ["tokensPerMonth", r.tokensPerMonth], ["spendPerDayUsd", r.spendPerDayUsd], ["spendPerMonthUsd", r.spendPerMonthUsd]] as const) {
      if (extra != null && found[field] == null) throw new AppError("bad_request", `The policy has no ${field} limit to raise`, { param: field });
    }
    const before = toView(found);
    const after = toView(await tx.quotaPolicy.update({
      where: { id },
      data: {
        raiseTokensPerDay: r.tokensPerDay, raiseTokensPerMonth: r.tokensPerMonth, raiseSpendPerDayUsd: r.spendPerDayUsd, raiseSpendPerMonthUsd: r.spendPerMonthUsd,
        raiseUntil: r.until, raiseReason: r.reason,
      },
    }));
    await recordAudit(actor, { action: "quota.raise", targetType: "quotaPolicy", targetId: id, ip, workspaceId: found.workspaceId, before: before.raise, after: after.raise }, tx);
    return after;
  });
  await invalidatePolicies();
  return view;
}

/** Ends a raise now (the policy's own limits apply again). Audited. */
export async function endRaise(actor: Principal, id: string, ip?: string | null): Promise<PolicyView> {
  const view = await db.$transaction(async (tx) => {
    const found = await policyOf(tx, id);
    const before = toView(found);
    const after = toView(await tx.quotaPolicy.update({
      where: { id },
      data: { raiseTokensPerDay: null, raiseTokensPerMonth: null, raiseSpendPerDayUsd: null, raiseSpendPerMonthUsd: null, raiseUntil: null, raiseReason: null },
    }));
    await recordAudit(actor, { action: "quota.raise_end", targetType: "quotaPolicy", targetId: id, ip, workspaceId: found.workspaceId, before: before.raise, after: null }, tx);
    return after;
  });
  await invalidatePolicies();
  return view;
}

export type WindowReset = {
  policyId: string;
  period: "day" | "month";
  windowStart: string;
  /** What each counter had used before the reset (reservations of calls in flight are kept). */
  counters: { subject: string; usedRequests: number; usedTokens: number; usedSpendUsd: number }[];
};

type ResetRow = { subject: string; windowStart: Date; usedRequests: number; usedTokens: string; usedSpendUsd: string };

/**
 * Forgets what the current day or month window has used, for one counter or all of the policy's,
 * with a reason. Reservations stay (their calls settle into the reset window). The rows are locked
 * in key order, like admission and settlement lock them. Thresholds already told this window are
 * not told again (once per window). Audited with the amounts forgotten.
 */
export async function resetWindow(actor: Principal, id: string, input: unknown, ip?: string | null): Promise<WindowReset> {
  const r = resetWindowInput.parse(input);
  return db.$transaction(async (tx) => {
    const found = await policyOf(tx, id);
    const rows = await tx.$queryRawUnsafe<ResetRow[]>(
      `WITH locked AS (
         SELECT k."policyId", k."subject", k."period", k."windowStart", k."usedRequests", k."usedTokens", k."usedSpendUsd"
         FROM "QuotaCounter" k JOIN "QuotaPolicy" q ON q."id" = k."policyId"
         WHERE k."policyId" = $1::uuid AND k."period" = $2::text::"QuotaPeriod" AND k."windowStart" = quota_window_start($2::text, $3::timestamptz, q."timeZone")
           AND ($4::text IS NULL OR k."subject" = $4)
         ORDER BY k."policyId", k."subject", k."period", k."windowStart"
         FOR UPDATE OF k
       ), u AS (
         UPDATE "QuotaCounter" k SET "usedRequests" = 0, "usedTokens" = 0, "usedSpendUsd" = 0
         FROM locked l
         WHERE k."policyId" = l."policyId" AND k."subject" = l."subject" AND k."period" = l."period" AND k."windowStart" = l."windowStart"
       )
       SELECT "subject", "windowStart", "usedRequests", "usedTokens"::TEXT AS "usedTokens", "usedSpendUsd"::TEXT AS "usedSpendUsd" FROM locked ORDER BY "subject"`,
      id, r.period, new Date(now()), r.subject ?? null,
    );
    const [start] = await tx.$queryRawUnsafe<{ start: Date }[]>(`SELECT quota_window_start($1::text, $2::timestamptz, $3::text) AS "start"`, r.period, new Date(now()), found.timeZone);
    const out: WindowReset = {
      policyId: id, period: r.period, windowStart: start!.start.toISOString(),
      counters: rows.map((c) => ({ subject: c.subject, usedRequests: c.usedRequests, usedTokens: Number(c.usedTokens), usedSpendUsd: Number(c.usedSpendUsd) })),
    };
    await recordAudit(actor, {
      action: "quota.reset", targetType: "quotaPolicy", targetId: id, ip, workspaceId: found.workspaceId,
      before: { period: r.period, windowStart: out.windowStart, counters: out.counters }, after: { reason: r.reason, subject: r.subject ?? null },
    }, tx);
    return out;
  });
}
