-- Workspace budgets, calendar windows in a time zone, soft thresholds, temporary raises (issue 19, lib/quota).

-- AlterTable
ALTER TABLE "QuotaPolicy" ADD COLUMN "timeZone" TEXT NOT NULL DEFAULT 'UTC',
ADD COLUMN "thresholds" INTEGER[] DEFAULT ARRAY[50, 80, 100]::INTEGER[],
ADD COLUMN "raiseTokensPerDay" INTEGER,
ADD COLUMN "raiseTokensPerMonth" INTEGER,
ADD COLUMN "raiseSpendPerDayUsd" DECIMAL(14,6),
ADD COLUMN "raiseSpendPerMonthUsd" DECIMAL(14,6),
ADD COLUMN "raiseUntil" TIMESTAMPTZ(3),
ADD COLUMN "raiseReason" TEXT;

-- CreateTable
CREATE TABLE "QuotaAlert" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "policyId" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "subject" TEXT NOT NULL,
    "period" "QuotaPeriod" NOT NULL,
    "windowStart" TIMESTAMPTZ(3) NOT NULL,
    "metric" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "threshold" INTEGER NOT NULL,
    "used" DECIMAL(20,8) NOT NULL,
    "limit" DECIMAL(20,8) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "QuotaAlert_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "QuotaAlert_policyId_subject_period_windowStart_metric_kind_threshold_key" ON "QuotaAlert"("policyId", "subject", "period", "windowStart", "metric", "kind", "threshold");

-- CreateIndex
CREATE INDEX "QuotaAlert_workspaceId_createdAt_idx" ON "QuotaAlert"("workspaceId", "createdAt");

-- AddForeignKey
ALTER TABLE "QuotaAlert" ADD CONSTRAINT "QuotaAlert_policyId_fkey" FOREIGN KEY ("policyId") REFERENCES "QuotaPolicy"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- ---------------------------------------------------------------------------
-- Windows in a time zone. Minutes are UTC minutes; days start at local midnight and months on the
-- local 1st, in the policy's IANA zone: date_trunc(field, timestamptz, zone) is DST-correct (a local
-- day is 23, 24 or 25 hours long). The end of a window is the start of the next one, found by
-- truncating a point safely inside it (27 hours after a day's start, 32 days after a month's).
CREATE FUNCTION quota_window_start(p_period TEXT, p_at TIMESTAMPTZ, p_tz TEXT) RETURNS TIMESTAMPTZ
LANGUAGE sql STABLE AS $fn$
    SELECT CASE p_period WHEN 'minute' THEN date_trunc('minute', p_at, 'UTC') ELSE date_trunc(p_period, p_at, p_tz) END
$fn$;

CREATE FUNCTION quota_window_end(p_period TEXT, p_start TIMESTAMPTZ, p_tz TEXT) RETURNS TIMESTAMPTZ
LANGUAGE sql STABLE AS $fn$
    SELECT CASE p_period
        WHEN 'minute' THEN p_start + INTERVAL '1 minute'
        WHEN 'day' THEN date_trunc('day', p_start + INTERVAL '27 hours', p_tz)
        ELSE date_trunc('month', p_start + INTERVAL '32 days', p_tz)
    END
$fn$;

-- A policy's limits in one window at a time: the policy's own, plus a temporary raise until it expires.
-- Inlined by the planner (a plain SQL table function), so it costs the hot path nothing.
CREATE FUNCTION quota_limits(q "QuotaPolicy", p_period TEXT, p_at TIMESTAMPTZ)
RETURNS TABLE (lim_req INTEGER, lim_tok BIGINT, lim_usd NUMERIC) LANGUAGE sql STABLE AS $fn$
    SELECT CASE p_period WHEN 'minute' THEN q."requestsPerMinute" END,
           CASE p_period
               WHEN 'minute' THEN q."tokensPerMinute"::BIGINT
               WHEN 'day' THEN q."tokensPerDay"::BIGINT + CASE WHEN q."raiseUntil" > p_at THEN coalesce(q."raiseTokensPerDay", 0) ELSE 0 END
               ELSE q."tokensPerMonth"::BIGINT + CASE WHEN q."raiseUntil" > p_at THEN coalesce(q."raiseTokensPerMonth", 0) ELSE 0 END
           END,
           CASE p_period
               WHEN 'day' THEN q."spendPerDayUsd" + CASE WHEN q."raiseUntil" > p_at THEN coalesce(q."raiseSpendPerDayUsd", 0) ELSE 0 END
               WHEN 'month' THEN q."spendPerMonthUsd" + CASE WHEN q."raiseUntil" > p_at THEN coalesce(q."raiseSpendPerMonthUsd", 0) ELSE 0 END
           END
$fn$;

-- One crossing of a budget line by one counter: a soft threshold (percent of the limit) or the limit
-- itself (kind 'exhausted', threshold 100).
CREATE TYPE quota_crossing AS (
    policy_id UUID, subject TEXT, period TEXT, window_start TIMESTAMPTZ, metric TEXT, kind TEXT, threshold INTEGER, used NUMERIC, lim NUMERIC
);

-- Records crossings once per window (the unique key of QuotaAlert) and, for each one recorded now,
-- its budget.threshold / budget.exhausted event in the outbox: same transaction as the change that
-- crossed, so the event is never told without it nor lost after it (lib/events). Returns how many.
CREATE FUNCTION quota_alerts(p_c quota_crossing[]) RETURNS INTEGER LANGUAGE plpgsql AS $fn$
DECLARE
    v_n INTEGER;
BEGIN
    WITH ins AS (
        INSERT INTO "QuotaAlert" ("policyId", "workspaceId", "subject", "period", "windowStart", "metric", "kind", "threshold", "used", "limit")
        SELECT c.policy_id, q."workspaceId", c.subject, c.period::"QuotaPeriod", c.window_start, c.metric, c.kind, c.threshold, c.used, c.lim
        FROM unnest(p_c) AS c
        JOIN "QuotaPolicy" q ON q."id" = c.policy_id
        ORDER BY 1, 3, 4, 5, 6, 7, 8
        ON CONFLICT DO NOTHING
        RETURNING *
    )
    INSERT INTO "OutboxEvent" ("type", "workspaceId", "data")
    SELECT CASE i."kind" WHEN 'exhausted' THEN 'budget.exhausted' ELSE 'budget.threshold' END, i."workspaceId",
           jsonb_build_object(
               'alertId', i."id", 'workspaceId', i."workspaceId", 'workspaceSlug', w."slug",
               'policyId', q."id", 'policyName', q."name", 'scope', q."scope"::TEXT, 'subject', i."subject",
               'apiKeyId', CASE WHEN q."scope" IN ('key', 'user', 'key_model') THEN split_part(i."subject", ':', 1) END,
               'metric', i."metric", 'period', i."period"::TEXT, 'threshold', i."threshold",
               'used', i."used", 'limit', i."limit",
               'windowStart', to_char(i."windowStart" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               'windowEnd', to_char(quota_window_end(i."period"::TEXT, i."windowStart", q."timeZone") AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               'resetsAt', to_char(quota_window_end(i."period"::TEXT, i."windowStart", q."timeZone") AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               'timeZone', q."timeZone",
               'crossedAt', to_char(i."createdAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
           )
    FROM ins i
    JOIN "QuotaPolicy" q ON q."id" = i."policyId"
    LEFT JOIN "Workspace" w ON w."id" = i."workspaceId";
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$fn$;

-- quota_reserve takes the admission time instead of precomputed windows: each policy's windows are
-- taken in its own time zone here. Otherwise as in 20261121040000_quotas (one round trip, all or
-- none, key order), with each limit raised while a temporary raise lasts, and a refusal by a used-up
-- day or month budget recorded as that budget's exhaustion (once per window).
DROP FUNCTION quota_reserve(UUID, TEXT, TIMESTAMPTZ, UUID[], TEXT[], TEXT[], TIMESTAMPTZ[], BIGINT[], NUMERIC[]);

CREATE FUNCTION quota_reserve(
    p_id UUID, p_completion TEXT, p_expires TIMESTAMPTZ, p_at TIMESTAMPTZ,
    p_policy UUID[], p_subject TEXT[], p_period TEXT[], p_tokens BIGINT[], p_spend NUMERIC[]
) RETURNS TABLE (
    ok BOOLEAN, failed TEXT, policy_id UUID, subject TEXT, period TEXT, window_start TIMESTAMPTZ, window_end TIMESTAMPTZ,
    est_tokens BIGINT, est_spend NUMERIC, limit_requests INTEGER, limit_tokens BIGINT, limit_spend NUMERIC,
    used_requests INTEGER, reserved_requests INTEGER, used_tokens BIGINT, reserved_tokens BIGINT,
    used_spend NUMERIC, reserved_spend NUMERIC
) LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
    v_ok BOOLEAN;
    v_rows INTEGER;
    v_start TIMESTAMPTZ[];
    v_tz TEXT[];
    v_c quota_crossing[];
BEGIN
    -- Do not wait for the WAL flush at commit (see 20261121040000_quotas and lib/quota/README.md).
    PERFORM set_config('synchronous_commit', 'off', true);

    -- Each counter's window, in its policy's zone (a deleted policy's counter is dropped below).
    SELECT array_agg(quota_window_start(c.w, p_at, coalesce(q."timeZone", 'UTC')) ORDER BY c.i), array_agg(coalesce(q."timeZone", 'UTC') ORDER BY c.i)
    INTO v_start, v_tz
    FROM unnest(p_policy, p_period) WITH ORDINALITY AS c(p, w, i)
    LEFT JOIN "QuotaPolicy" q ON q."id" = c.p;

    INSERT INTO "QuotaCounter" ("policyId", "subject", "period", "windowStart")
    SELECT c.p, c.s, c.w::"QuotaPeriod", c.t
    FROM unnest(p_policy, p_subject, p_period, v_start) AS c(p, s, w, t)
    JOIN "QuotaPolicy" q ON q."id" = c.p AND q."enabled"
    ORDER BY 1, 2, 3, 4
    ON CONFLICT DO NOTHING;

    -- Lock (in key order) and check in one statement. The rows stay ours until
    -- the transaction ends, so nothing changes between this check and the update.
    SELECT coalesce(bool_and(x.fits), true), count(*) INTO v_ok, v_rows
    FROM (
        SELECT (l.lim_req IS NULL OR k."usedRequests" + k."reservedRequests" + 1 <= l.lim_req)
           AND (l.lim_tok IS NULL OR k."usedTokens" + k."reservedTokens" + c.tok <= l.lim_tok)
           AND (l.lim_usd IS NULL OR k."usedSpendUsd" + k."reservedSpendUsd" + c.usd <= l.lim_usd) AS fits
        FROM unnest(p_policy, p_subject, p_period, v_start, p_tokens, p_spend) AS c(p, s, w, t, tok, usd)
        JOIN "QuotaCounter" k ON k."policyId" = c.p AND k."subject" = c.s AND k."period" = c.w::"QuotaPeriod" AND k."windowStart" = c.t
        JOIN "QuotaPolicy" q ON q."id" = c.p AND q."enabled"
        CROSS JOIN LATERAL quota_limits(q, c.w, p_at) l
        ORDER BY k."policyId", k."subject", k."period", k."windowStart"
        FOR UPDATE OF k
    ) x;
    IF v_rows = 0 THEN
        RETURN;
    END IF;

    IF v_ok THEN
        RETURN QUERY
        WITH u AS (
            UPDATE "QuotaCounter" k SET
                "reservedRequests" = k."reservedRequests" + 1,
                "reservedTokens" = k."reservedTokens" + c.tok,
                "reservedSpendUsd" = k."reservedSpendUsd" + c.usd
            FROM unnest(p_policy, p_subject, p_period, v_start, p_tokens, p_spend, v_tz) AS c(p, s, w, t, tok, usd, tz)
            JOIN "QuotaPolicy" q ON q."id" = c.p AND q."enabled"
            CROSS JOIN LATERAL quota_limits(q, c.w, p_at) l
            WHERE k."policyId" = c.p AND k."subject" = c.s AND k."period" = c.w::"QuotaPeriod" AND k."windowStart" = c.t
            RETURNING k."policyId", k."subject", k."period", k."windowStart", quota_window_end(c.w, c.t, c.tz) AS window_end, c.tok, c.usd,
                      l.lim_req, l.lim_tok, l.lim_usd,
                      k."usedRequests", k."reservedRequests", k."usedTokens", k."reservedTokens", k."usedSpendUsd", k."reservedSpendUsd"
        ), saved AS (
            INSERT INTO "QuotaReservation" ("id", "completionId", "counters", "expiresAt")
            SELECT p_id, p_completion,
                   jsonb_agg(jsonb_build_object('p', u."policyId", 's', u."subject", 'w', u."period", 't', u."windowStart", 'tokens', u.tok, 'spend', u.usd)),
                   p_expires
            FROM u
        )
        SELECT true, NULL::TEXT, u."policyId", u."subject", u."period"::TEXT, u."windowStart", u.window_end, u.tok, u.usd, u.lim_req, u.lim_tok, u.lim_usd,
               u."usedRequests", u."reservedRequests", u."usedTokens", u."reservedTokens", u."usedSpendUsd", u."reservedSpendUsd"
        FROM u;
        RETURN;
    END IF;

    -- Refused. A day or month budget this call cannot fit even if every call in flight settled (and
    -- that the call alone does not exceed) is exhausted: recorded and told once per window.
    SELECT coalesce(array_agg(ROW(k."policyId", k."subject", c.w, k."windowStart", m.metric, 'exhausted', 100, m.used, m.lim)::quota_crossing), '{}')
    INTO v_c
    FROM unnest(p_policy, p_subject, p_period, v_start, p_tokens, p_spend) AS c(p, s, w, t, tok, usd)
    JOIN "QuotaCounter" k ON k."policyId" = c.p AND k."subject" = c.s AND k."period" = c.w::"QuotaPeriod" AND k."windowStart" = c.t
    JOIN "QuotaPolicy" q ON q."id" = c.p AND q."enabled"
    CROSS JOIN LATERAL quota_limits(q, c.w, p_at) l
    CROSS JOIN LATERAL (VALUES ('tokens', k."usedTokens"::NUMERIC, c.tok::NUMERIC, l.lim_tok::NUMERIC),
                               ('spend_usd', k."usedSpendUsd", c.usd, l.lim_usd)) AS m(metric, used, need, lim)
    WHERE c.w <> 'minute' AND m.lim IS NOT NULL AND m.need <= m.lim AND m.used + m.need > m.lim;
    IF cardinality(v_c) > 0 THEN
        PERFORM quota_alerts(v_c);
    END IF;

    RETURN QUERY
    SELECT false,
           CASE
               WHEN x.lim_req IS NOT NULL AND x."usedRequests" + x."reservedRequests" + 1 > x.lim_req THEN 'requests_per_minute'
               WHEN x.lim_tok IS NOT NULL AND x."usedTokens" + x."reservedTokens" + x.tok > x.lim_tok THEN 'tokens_per_' || x."period"::TEXT
               WHEN x.lim_usd IS NOT NULL AND x."usedSpendUsd" + x."reservedSpendUsd" + x.usd > x.lim_usd THEN 'spend_per_' || x."period"::TEXT
           END,
           x."policyId", x."subject", x."period"::TEXT, x."windowStart", x.window_end, x.tok, x.usd, x.lim_req, x.lim_tok, x.lim_usd,
           x."usedRequests", x."reservedRequests", x."usedTokens", x."reservedTokens", x."usedSpendUsd", x."reservedSpendUsd"
    FROM (
        SELECT k.*, c.tok, c.usd, quota_window_end(c.w, c.t, c.tz) AS window_end, l.lim_req, l.lim_tok, l.lim_usd
        FROM unnest(p_policy, p_subject, p_period, v_start, p_tokens, p_spend, v_tz) AS c(p, s, w, t, tok, usd, tz)
        JOIN "QuotaCounter" k ON k."policyId" = c.p AND k."subject" = c.s AND k."period" = c.w::"QuotaPeriod" AND k."windowStart" = c.t
        JOIN "QuotaPolicy" q ON q."id" = c.p AND q."enabled"
        CROSS JOIN LATERAL quota_limits(q, c.w, p_at) l
    ) x;
END
$fn$;

-- quota_apply as before, and it detects the budget lines the *used* amounts crossed: each soft
-- threshold of the policy (percent of the limit in force, a temporary raise included) and the limit
-- itself, for day and month token and spend limits. It runs in the settling transaction, so the
-- alert row and its outbox event commit with the usage that crossed. Only a counter whose used
-- amount grew past a line reports it; the unique key makes it once per window even so.
CREATE OR REPLACE FUNCTION quota_apply(
    p_policy UUID[], p_subject TEXT[], p_period TEXT[], p_start TIMESTAMPTZ[],
    p_used_requests INTEGER[], p_released_requests INTEGER[],
    p_used_tokens BIGINT[], p_released_tokens BIGINT[],
    p_used_spend NUMERIC[], p_released_spend NUMERIC[]
) RETURNS VOID LANGUAGE plpgsql AS $fn$
DECLARE
    v_c quota_crossing[];
BEGIN
    PERFORM 1 FROM "QuotaCounter" k
    WHERE (k."policyId", k."subject", k."period", k."windowStart") IN (
        SELECT c.p, c.s, c.w::"QuotaPeriod", c.t FROM unnest(p_policy, p_subject, p_period, p_start) AS c(p, s, w, t)
    )
    ORDER BY k."policyId", k."subject", k."period", k."windowStart"
    FOR UPDATE;

    WITH u AS (
        UPDATE "QuotaCounter" k SET
            "usedRequests" = k."usedRequests" + a.ur,
            "reservedRequests" = GREATEST(0, k."reservedRequests" - a.rr),
            "usedTokens" = k."usedTokens" + a.ut,
            "reservedTokens" = GREATEST(0, k."reservedTokens" - a.rt),
            "usedSpendUsd" = k."usedSpendUsd" + a.us,
            "reservedSpendUsd" = GREATEST(0, k."reservedSpendUsd" - a.rs)
        FROM (
            SELECT c.p, c.s, c.w::"QuotaPeriod" AS w, c.t,
                   sum(c.ur)::INTEGER AS ur, sum(c.rr)::INTEGER AS rr, sum(c.ut)::BIGINT AS ut, sum(c.rt)::BIGINT AS rt, sum(c.us) AS us, sum(c.rs) AS rs
            FROM unnest(p_policy, p_subject, p_period, p_start, p_used_requests, p_released_requests,
                        p_used_tokens, p_released_tokens, p_used_spend, p_released_spend) AS c(p, s, w, t, ur, rr, ut, rt, us, rs)
            GROUP BY 1, 2, 3, 4
        ) a
        WHERE k."policyId" = a.p AND k."subject" = a.s AND k."period" = a.w AND k."windowStart" = a.t
        RETURNING k."policyId", k."subject", k."period", k."windowStart", k."usedTokens", a.ut, k."usedSpendUsd", a.us
    )
    SELECT coalesce(array_agg(ROW(u."policyId", u."subject", u."period"::TEXT, u."windowStart", m.metric, th.kind, th.threshold, m.used, m.lim)::quota_crossing), '{}')
    INTO v_c
    FROM u
    JOIN "QuotaPolicy" q ON q."id" = u."policyId"
    CROSS JOIN LATERAL quota_limits(q, u."period"::TEXT, now()) l
    CROSS JOIN LATERAL (VALUES ('tokens', u."usedTokens"::NUMERIC, u.ut::NUMERIC, l.lim_tok::NUMERIC),
                               ('spend_usd', u."usedSpendUsd", u.us, l.lim_usd)) AS m(metric, used, delta, lim)
    CROSS JOIN LATERAL (SELECT 'threshold'::TEXT, t FROM unnest(q."thresholds") AS t
                        UNION ALL SELECT 'exhausted'::TEXT, 100) AS th(kind, threshold)
    WHERE u."period" <> 'minute' AND m.lim > 0 AND m.delta > 0
      AND (m.used - m.delta) * 100 < th.threshold * m.lim AND m.used * 100 >= th.threshold * m.lim;
    IF cardinality(v_c) > 0 THEN
        PERFORM quota_alerts(v_c);
    END IF;
END
$fn$;
