// Dataset rows from a key's request logs (issue 20 §3: "... or from a key's request logs when logging is
// on"). Logs are inserted in the shape lib/filters' writeRequestLogs stores (request: the redacted
// messages, response: the redacted assistant text); the import reads only the caller's workspace.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/lib/auth/api-keys";
import type { Principal } from "@/lib/core";
import { closeDb, db, Prisma } from "@/lib/db";
import { createDataset, getDatasetVersion, loggingKeys } from "@/lib/evals";
import { createWorkspace } from "@/lib/workspaces";
import * as importRoute from "@/app/api/admin/datasets/[id]/import-logs/route";
import { call } from "../../support/http";

const run = Date.now().toString(36);

describe("issue 20 §3: dataset rows from a key's request logs", () => {
  const ws = { a: "", b: "" };
  const as = { a: null as unknown as Principal, b: null as unknown as Principal };
  const headers = { a: {} as Record<string, string>, b: {} as Record<string, string> };
  const logged = { a: "", b: "", quiet: "" };
  let datasetId = "";
  let otherDatasetId = "";

  beforeAll(async () => {
    const root = { kind: "system", name: "test" } as const;
    for (const k of ["a", "b"] as const) {
      ws[k] = (await createWorkspace(root, { name: `Logs ${k}`, slug: `logs-${k}-${run}` })).id;
      as[k] = { kind: "system", name: "test", workspaceId: ws[k] };
      headers[k] = { authorization: `Bearer ${(await createApiKey(as[k], { name: `logs-${k}-admin-${run}`, scopes: ["admin"] })).key}` };
      logged[k] = (await createApiKey(as[k], { name: `logs-${k}-app-${run}` })).row.id;
      await db.apiKeyPolicy.create({ data: { apiKeyId: logged[k], logRequests: true } });
    }
    logged.quiet = (await createApiKey(as.a, { name: `logs-a-quiet-${run}` })).row.id;
    const expiresAt = new Date(Date.now() + 86_400_000);
    const base = Date.now() - 60_000;
    // Five readable logs (oldest first), one failed call (the logger stores its missing response as JSON
    // null), one whose request cannot be read.
    const rows = [0, 1, 2, 3, 4].map((i) => ({
      apiKeyId: logged.a, workspaceId: ws.a, createdAt: new Date(base + i * 1000), expiresAt, completionId: `chatcmpl-${run}-${i}`, model: "gpt-test", status: 200,
      request: [{ role: "system", content: "Answer briefly." }, { role: "user", content: `Question ${i}?` }],
      response: `Answer ${i}`,
    }));
    await db.requestLog.createMany({
      data: [
        ...rows,
        { apiKeyId: logged.a, workspaceId: ws.a, createdAt: new Date(base + 5000), expiresAt, completionId: `chatcmpl-${run}-err`, model: "gpt-test", status: 502, request: [{ role: "user", content: "boom" }], response: Prisma.JsonNull },
        { apiKeyId: logged.a, workspaceId: ws.a, createdAt: new Date(base + 6000), expiresAt, completionId: `chatcmpl-${run}-bad`, model: "gpt-test", status: 200, request: "not messages", response: "x" },
        { apiKeyId: logged.b, workspaceId: ws.b, createdAt: new Date(base), expiresAt, completionId: `chatcmpl-${run}-b`, model: "gpt-test", status: 200, request: [{ role: "user", content: "secret of b" }], response: "b" },
      ],
    });
    datasetId = (await createDataset(as.a, { name: `from-logs-${run}` })).id;
    otherDatasetId = (await createDataset(as.b, { name: `from-logs-b-${run}` })).id;
  });

  afterAll(async () => {
    await db.requestLog.deleteMany({ where: { workspaceId: { in: [ws.a, ws.b] } } });
    await db.apiKeyPolicy.deleteMany({ where: { apiKeyId: { in: [logged.a, logged.b] } } });
    await db.dataset.deleteMany({ where: { workspaceId: { in: [ws.a, ws.b] } } });
    await closeDb();
  });

  it("issue 20 §3: imports a key's logs, newest first, as one new version with expected outputs and metadata; limit honoured", async () => {
    const res = await call(importRoute.POST, { method: "POST", path: "/x", headers: headers.a, params: { id: datasetId }, body: { apiKeyId: logged.a, limit: 3 } });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ version: 1, source: "request_logs", imported: 2 });
    const v = await getDatasetVersion(as.a, datasetId, 1);
    expect(v.source).toBe("request_logs");
    // The unreadable log (newest) is skipped and counted; the limit counts the logs read.
    expect(res.json.skipped).toEqual([expect.objectContaining({ reason: expect.stringMatching(/request/) })]);
    expect(v.rows.map((r) => r.variables)).toEqual([{ input: "Question 4?" }, { input: "Question 3?" }]);
    expect(v.rows.map((r) => r.expected)).toEqual(["Answer 4", "Answer 3"]);
    expect(v.rows[0]!.metadata).toMatchObject({
      source: "request_log", completionId: `chatcmpl-${run}-4`, model: "gpt-test",
      messages: [{ role: "system", content: "Answer briefly." }, { role: "user", content: "Question 4?" }],
    });
    expect(typeof v.rows[0]!.metadata.requestLogId).toBe("string");
    expect(typeof v.rows[0]!.metadata.createdAt).toBe("string");

    const all = await call(importRoute.POST, { method: "POST", path: "/x", headers: headers.a, params: { id: datasetId }, body: { apiKeyId: logged.a } });
    expect(all.status).toBe(201);
    // The 502 is not imported (status defaults to 200); the new version holds the first two plus these five.
    expect(all.json).toMatchObject({ version: 2, imported: 5, rowCount: 7 });
    const failed = await call(importRoute.POST, { method: "POST", path: "/x", headers: headers.a, params: { id: datasetId }, body: { apiKeyId: logged.a, status: 502 } });
    expect(failed.status).toBe(201);
    expect(failed.json).toMatchObject({ imported: 1 });
    // A failed call has no response: its row has no expected output.
    expect((await getDatasetVersion(as.a, datasetId)).rows.at(-1)).toMatchObject({ variables: { input: "boom" }, expected: null });
    const audit = await db.auditLog.findFirst({ where: { targetId: datasetId, action: "dataset.version" }, orderBy: { createdAt: "desc" } });
    expect(audit?.after).toMatchObject({ source: "request_logs" });
  });

  it("issue 20 §3: the console offers only the workspace's keys that log", async () => {
    expect((await loggingKeys(as.a)).map((k) => k.id)).toEqual([logged.a]);
    expect((await loggingKeys(as.b)).map((k) => k.id)).toEqual([logged.b]);
  });

  it("issue 20 §3: another workspace's key or dataset is 404", async () => {
    const key = await call(importRoute.POST, { method: "POST", path: "/x", headers: headers.a, params: { id: datasetId }, body: { apiKeyId: logged.b } });
    expect(key.status).toBe(404);
    const ds = await call(importRoute.POST, { method: "POST", path: "/x", headers: headers.a, params: { id: otherDatasetId }, body: { apiKeyId: logged.a } });
    expect(ds.status).toBe(404);
  });

  it("issue 20 §3: a key without logs in the range is a clear 4xx", async () => {
    const quiet = await call(importRoute.POST, { method: "POST", path: "/x", headers: headers.a, params: { id: datasetId }, body: { apiKeyId: logged.quiet } });
    expect(quiet.status).toBeGreaterThanOrEqual(400);
    expect(quiet.status).toBeLessThan(500);
    expect(JSON.stringify(quiet.json)).toMatch(/no request logs for this key in that range; logging is opt-in per key/);
    const old = await call(importRoute.POST, { method: "POST", path: "/x", headers: headers.a, params: { id: datasetId }, body: { apiKeyId: logged.a, until: "2000-01-01T00:00:00Z" } });
    expect(old.status).toBe(quiet.status);
  });
});
