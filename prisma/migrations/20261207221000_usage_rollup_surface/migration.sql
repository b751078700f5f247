-- The usage rollups get the API surface as a dimension, so the Usage page can filter and stack by it
-- over any range. Rows written so far count as chat; the buckets that hold events of another surface
-- (template completions, since 20261207200000_usage_surface) are rebuilt from their events, the way
-- lib/usage/rollups.ts rollupFromEventsSql computes them. Locked so no usage batch writes in between.
LOCK TABLE "UsageRollupHour", "UsageRollupDay" IN EXCLUSIVE MODE;

ALTER TABLE "UsageRollupHour" ADD COLUMN "surface" TEXT NOT NULL DEFAULT 'chat';
ALTER TABLE "UsageRollupHour" DROP CONSTRAINT "UsageRollupHour_pkey";
ALTER TABLE "UsageRollupHour" ADD CONSTRAINT "UsageRollupHour_pkey" PRIMARY KEY ("bucket", "model", "accountId", "apiKeyId", "promptVersionId", "variantId", "status", "surface");

ALTER TABLE "UsageRollupDay" ADD COLUMN "surface" TEXT NOT NULL DEFAULT 'chat';
ALTER TABLE "UsageRollupDay" DROP CONSTRAINT "UsageRollupDay_pkey";
ALTER TABLE "UsageRollupDay" ADD CONSTRAINT "UsageRollupDay_pkey" PRIMARY KEY ("bucket", "model", "accountId", "apiKeyId", "promptVersionId", "variantId", "status", "surface");

DELETE FROM "UsageRollupHour" WHERE bucket IN (SELECT date_trunc('hour', "createdAt", 'UTC') FROM "UsageEvent" WHERE surface <> 'chat');
INSERT INTO "UsageRollupHour" ("bucket", "model", "accountId", "apiKeyId", "promptVersionId", "variantId", "status", "surface", "requests", "errors", "inputTokens", "outputTokens", "cachedTokens", "costUsd", "latencySumMs", "latencyCount", "ttftSumMs", "ttftCount", "latencyBuckets") WITH e AS (
  SELECT date_trunc('hour', "createdAt", 'UTC') AS bucket, COALESCE("servedModel", "requestedModel") AS model,
         COALESCE("accountId", '00000000-0000-0000-0000-000000000000') AS "accountId", COALESCE("apiKeyId", '00000000-0000-0000-0000-000000000000') AS "apiKeyId",
         COALESCE("promptVersionId", '00000000-0000-0000-0000-000000000000') AS "promptVersionId", COALESCE("variantId", '00000000-0000-0000-0000-000000000000') AS "variantId",
         status, surface, "inputTokens", "outputTokens", "cachedTokens", "costUsd", "latencyMs", "ttftMs"
    FROM "UsageEvent"
   WHERE date_trunc('hour', "createdAt", 'UTC') IN (SELECT date_trunc('hour', "createdAt", 'UTC') FROM "UsageEvent" WHERE surface <> 'chat')
), g AS (
  SELECT bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status, surface, count(*)::int4 AS requests, (count(*) FILTER (WHERE status <> 'ok'))::int4 AS errors,
         sum("inputTokens")::int8 AS "inputTokens", sum("outputTokens")::int8 AS "outputTokens", sum("cachedTokens")::int8 AS "cachedTokens",
         sum("costUsd") AS "costUsd", COALESCE(sum("latencyMs") FILTER (WHERE status = 'ok'), 0)::int8 AS "latencySumMs",
         (count(*) FILTER (WHERE status = 'ok'))::int4 AS "latencyCount", COALESCE(sum("ttftMs"), 0)::int8 AS "ttftSumMs", count("ttftMs")::int4 AS "ttftCount"
    FROM e GROUP BY bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status, surface
), h AS (
  SELECT bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status, surface, jsonb_object_agg(i, n) AS hist
    FROM (SELECT bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status, surface, width_bucket("latencyMs", '{1,2,3,4,5,6,7,8,9,10,11,13,16,21,26,32,41,51,64,81,102,128,162,204,256,323,407,512,646,813,1024,1291,1626,2048,2581,3251,4096,5161,6502,8192,10322,13004,16384,20643,26008,32768,41286,52016,65536,82571,104032,131072,165141,208064,262144,330281,416128,524288,660562,832256,1048576}'::int4[]) AS i, count(*) AS n FROM e WHERE status = 'ok' GROUP BY bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status, surface, i) x
   GROUP BY bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status, surface
)
SELECT g.*, CASE WHEN h.hist IS NULL THEN '{}'::int4[]
                 ELSE ARRAY(SELECT COALESCE((h.hist ->> s::text)::int4, 0) FROM generate_series(0, 61) s ORDER BY s) END AS "latencyBuckets"
  FROM g LEFT JOIN h USING (bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status, surface);

DELETE FROM "UsageRollupDay" WHERE bucket IN (SELECT date_trunc('day', "createdAt", 'UTC') FROM "UsageEvent" WHERE surface <> 'chat');
INSERT INTO "UsageRollupDay" ("bucket", "model", "accountId", "apiKeyId", "promptVersionId", "variantId", "status", "surface", "requests", "errors", "inputTokens", "outputTokens", "cachedTokens", "costUsd", "latencySumMs", "latencyCount", "ttftSumMs", "ttftCount", "latencyBuckets") WITH e AS (
  SELECT date_trunc('day', "createdAt", 'UTC') AS bucket, COALESCE("servedModel", "requestedModel") AS model,
         COALESCE("accountId", '00000000-0000-0000-0000-000000000000') AS "accountId", COALESCE("apiKeyId", '00000000-0000-0000-0000-000000000000') AS "apiKeyId",
         COALESCE("promptVersionId", '00000000-0000-0000-0000-000000000000') AS "promptVersionId", COALESCE("variantId", '00000000-0000-0000-0000-000000000000') AS "variantId",
         status, surface, "inputTokens", "outputTokens", "cachedTokens", "costUsd", "latencyMs", "ttftMs"
    FROM "UsageEvent"
   WHERE date_trunc('day', "createdAt", 'UTC') IN (SELECT date_trunc('day', "createdAt", 'UTC') FROM "UsageEvent" WHERE surface <> 'chat')
), g AS (
  SELECT bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status, surface, count(*)::int4 AS requests, (count(*) FILTER (WHERE status <> 'ok'))::int4 AS errors,
         sum("inputTokens")::int8 AS "inputTokens", sum("outputTokens")::int8 AS "outputTokens", sum("cachedTokens")::int8 AS "cachedTokens",
         sum("costUsd") AS "costUsd", COALESCE(sum("latencyMs") FILTER (WHERE status = 'ok'), 0)::int8 AS "latencySumMs",
         (count(*) FILTER (WHERE status = 'ok'))::int4 AS "latencyCount", COALESCE(sum("ttftMs"), 0)::int8 AS "ttftSumMs", count("ttftMs")::int4 AS "ttftCount"
    FROM e GROUP BY bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status, surface
), h AS (
  SELECT bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status, surface, jsonb_object_agg(i, n) AS hist
    FROM (SELECT bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status, surface, width_bucket("latencyMs", '{1,2,3,4,5,6,7,8,9,10,11,13,16,21,26,32,41,51,64,81,102,128,162,204,256,323,407,512,646,813,1024,1291,1626,2048,2581,3251,4096,5161,6502,8192,10322,13004,16384,20643,26008,32768,41286,52016,65536,82571,104032,131072,165141,208064,262144,330281,416128,524288,660562,832256,1048576}'::int4[]) AS i, count(*) AS n FROM e WHERE status = 'ok' GROUP BY bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status, surface, i) x
   GROUP BY bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status, surface
)
SELECT g.*, CASE WHEN h.hist IS NULL THEN '{}'::int4[]
                 ELSE ARRAY(SELECT COALESCE((h.hist ->> s::text)::int4, 0) FROM generate_series(0, 61) s ORDER BY s) END AS "latencyBuckets"
  FROM g LEFT JOIN h USING (bucket, model, "accountId", "apiKeyId", "promptVersionId", "variantId", status, surface);
