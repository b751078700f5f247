-- CreateTable
CREATE TABLE "UsageRollupHour" (
    "bucket" TIMESTAMPTZ(3) NOT NULL,
    "model" TEXT NOT NULL,
    "accountId" UUID NOT NULL,
    "apiKeyId" UUID NOT NULL,
    "promptVersionId" UUID NOT NULL,
    "variantId" UUID NOT NULL,
    "status" TEXT NOT NULL,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "errors" INTEGER NOT NULL DEFAULT 0,
    "inputTokens" BIGINT NOT NULL DEFAULT 0,
    "outputTokens" BIGINT NOT NULL DEFAULT 0,
    "cachedTokens" BIGINT NOT NULL DEFAULT 0,
    "costUsd" DECIMAL(18,8) NOT NULL DEFAULT 0,
    "latencySumMs" BIGINT NOT NULL DEFAULT 0,
    "latencyCount" INTEGER NOT NULL DEFAULT 0,
    "ttftSumMs" BIGINT NOT NULL DEFAULT 0,
    "ttftCount" INTEGER NOT NULL DEFAULT 0,
    "latencyBuckets" INTEGER[] DEFAULT ARRAY[]::INTEGER[],

    CONSTRAINT "UsageRollupHour_pkey" PRIMARY KEY ("bucket","model","accountId","apiKeyId","promptVersionId","variantId","status")
);

-- CreateTable
CREATE TABLE "UsageRollupDay" (
    "bucket" TIMESTAMPTZ(3) NOT NULL,
    "model" TEXT NOT NULL,
    "accountId" UUID NOT NULL,
    "apiKeyId" UUID NOT NULL,
    "promptVersionId" UUID NOT NULL,
    "variantId" UUID NOT NULL,
    "status" TEXT NOT NULL,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "errors" INTEGER NOT NULL DEFAULT 0,
    "inputTokens" BIGINT NOT NULL DEFAULT 0,
    "outputTokens" BIGINT NOT NULL DEFAULT 0,
    "cachedTokens" BIGINT NOT NULL DEFAULT 0,
    "costUsd" DECIMAL(18,8) NOT NULL DEFAULT 0,
    "latencySumMs" BIGINT NOT NULL DEFAULT 0,
    "latencyCount" INTEGER NOT NULL DEFAULT 0,
    "ttftSumMs" BIGINT NOT NULL DEFAULT 0,
    "ttftCount" INTEGER NOT NULL DEFAULT 0,
    "latencyBuckets" INTEGER[] DEFAULT ARRAY[]::INTEGER[],

    CONSTRAINT "UsageRollupDay_pkey" PRIMARY KEY ("bucket","model","accountId","apiKeyId","promptVersionId","variantId","status")
);

-- Backfill from the events stored before this migration (lib/usage/rollups.ts
-- rollupFromEventsSql); from here on the usage writer maintains both rollups.
INSERT INTO "UsageRollupHour" ("bucket", "model", "accountId", "apiKeyId", "promptVersionId", "variantId", "status", "requests", "errors", "inputTokens", "outputTokens", "cachedTokens", "costUsd", "latencySumMs", "latencyCount", "ttftSumMs", "ttftCount", "latencyBuckets") WITH e AS (
  SELECT date_trunc('hour', "createdAt", 'UTC') AS bucket, COALESCE("servedModel", "requestedModel") AS model,
         COALESCE("accountId", '00000000-0000-0000-0000-000000000000') AS "accountId", COALESCE("apiKeyId", '00000000-0000-0000-0000-000000000000') AS "apiKeyId",
         COALESCE("promptVersionId", '00000000-0000-0000-0000-000000000000') AS "promptVersionId", COALESCE("variantId", '00000000-0000-0000-0000-000000000000') AS "variantId",
         status, "inputTokens", "outputTokens", "cachedTokens", "costUsd", "latencyMs", "ttftMs"
    FROM "UsageEvent"
), g AS (
  SELECT bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status, count(*)::int4 AS requests, (count(*) FILTER (WHERE status <> 'ok'))::int4 AS errors,
         sum("inputTokens")::int8 AS "inputTokens", sum("outputTokens")::int8 AS "outputTokens", sum("cachedTokens")::int8 AS "cachedTokens",
         sum("costUsd") AS "costUsd", COALESCE(sum("latencyMs") FILTER (WHERE status = 'ok'), 0)::int8 AS "latencySumMs",
         (count(*) FILTER (WHERE status = 'ok'))::int4 AS "latencyCount", COALESCE(sum("ttftMs"), 0)::int8 AS "ttftSumMs", count("ttftMs")::int4 AS "ttftCount"
    FROM e GROUP BY bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status
), h AS (
  SELECT bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status, jsonb_object_agg(i, n) AS hist
    FROM (SELECT bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status, width_bucket("latencyMs", '{1,2,3,4,5,6,7,8,9,10,11,13,16,21,26,32,41,51,64,81,102,128,162,204,256,323,407,512,646,813,1024,1291,1626,2048,2581,3251,4096,5161,6502,8192,10322,13004,16384,20643,26008,32768,41286,52016,65536,82571,104032,131072,165141,208064,262144,330281,416128,524288,660562,832256,1048576}'::int4[]) AS i, count(*) AS n FROM e WHERE status = 'ok' GROUP BY bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status, i) x
   GROUP BY bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status
)
SELECT g.*, CASE WHEN h.hist IS NULL THEN '{}'::int4[]
                 ELSE ARRAY(SELECT COALESCE((h.hist ->> s::text)::int4, 0) FROM generate_series(0, 61) s ORDER BY s) END AS "latencyBuckets"
  FROM g LEFT JOIN h USING (bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status);

INSERT INTO "UsageRollupDay" ("bucket", "model", "accountId", "apiKeyId", "promptVersionId", "variantId", "status", "requests", "errors", "inputTokens", "outputTokens", "cachedTokens", "costUsd", "latencySumMs", "latencyCount", "ttftSumMs", "ttftCount", "latencyBuckets") WITH e AS (
  SELECT date_trunc('day', "createdAt", 'UTC') AS bucket, COALESCE("servedModel", "requestedModel") AS model,
         COALESCE("accountId", '00000000-0000-0000-0000-000000000000') AS "accountId", COALESCE("apiKeyId", '00000000-0000-0000-0000-000000000000') AS "apiKeyId",
         COALESCE("promptVersionId", '00000000-0000-0000-0000-000000000000') AS "promptVersionId", COALESCE("variantId", '00000000-0000-0000-0000-000000000000') AS "variantId",
         status, "inputTokens", "outputTokens", "cachedTokens", "costUsd", "latencyMs", "ttftMs"
    FROM "UsageEvent"
), g AS (
  SELECT bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status, count(*)::int4 AS requests, (count(*) FILTER (WHERE status <> 'ok'))::int4 AS errors,
         sum("inputTokens")::int8 AS "inputTokens", sum("outputTokens")::int8 AS "outputTokens", sum("cachedTokens")::int8 AS "cachedTokens",
         sum("costUsd") AS "costUsd", COALESCE(sum("latencyMs") FILTER (WHERE status = 'ok'), 0)::int8 AS "latencySumMs",
         (count(*) FILTER (WHERE status = 'ok'))::int4 AS "latencyCount", COALESCE(sum("ttftMs"), 0)::int8 AS "ttftSumMs", count("ttftMs")::int4 AS "ttftCount"
    FROM e GROUP BY bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status
), h AS (
  SELECT bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status, jsonb_object_agg(i, n) AS hist
    FROM (SELECT bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status, width_bucket("latencyMs", '{1,2,3,4,5,6,7,8,9,10,11,13,16,21,26,32,41,51,64,81,102,128,162,204,256,323,407,512,646,813,1024,1291,1626,2048,2581,3251,4096,5161,6502,8192,10322,13004,16384,20643,26008,32768,41286,52016,65536,82571,104032,131072,165141,208064,262144,330281,416128,524288,660562,832256,1048576}'::int4[]) AS i, count(*) AS n FROM e WHERE status = 'ok' GROUP BY bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status, i) x
   GROUP BY bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status
)
SELECT g.*, CASE WHEN h.hist IS NULL THEN '{}'::int4[]
                 ELSE ARRAY(SELECT COALESCE((h.hist ->> s::text)::int4, 0) FROM generate_series(0, 61) s ORDER BY s) END AS "latencyBuckets"
  FROM g LEFT JOIN h USING (bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status);
