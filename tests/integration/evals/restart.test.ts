// Restart test (issue 20 "Done when"): a run of 200 rows survives its instance being killed with
// SIGKILL mid-run. The next instance takes the run over when the lease has passed and resumes from
// Postgres: every row ends with exactly one result, none is lost, and no row that had finished is run
// again. The fake upstream counts the calls per row: only rows the killed instance had under way can
// be called twice (they are re-run, attempts 2), at most `concurrency` of them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "@/lib/accounts";
import { DEFAULT_WORKSPACE_ID, type Principal } from "@/lib/core";
import { closeDb, db } from "@/lib/db";
import { createDataset, startRun } from "@/lib/evals";
import { ensureBuild, startApp, type AppServer } from "../../support/app-server";
import { eventually } from "../../support/eventually";
import { startFakeUpstream, type FakeUpstream } from "../../support/fake-upstream";

const run = Date.now().toString(36);
const MODEL = `eval-restart-${run}`;
const ROWS = 200;
const CONCURRENCY = 4;
const ENV = { EVAL_LEASE_MS: "3000", EVAL_POLL_MS: "200" };
const as: Principal = { kind: "system", name: "test", workspaceId: DEFAULT_WORKSPACE_ID };


describe("an evaluation run survives SIGKILL of its instance", () => {
  const apps: AppServer[] = [];
  let fake: FakeUpstream;
  let accountId = "";
  let datasetId = "";

  beforeAll(async () => {
    ensureBuild();
    // Each call takes a while, so that the kill lands mid-run with rows under way.
    fake = await startFakeUpstream({ defaultBehaviour: { content: "ok", headerDelayMs: 60 } });
    accountId = (await createAccount({ kind: "system", name: "test" }, { name: `eval-restart-${run}`, provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-eval-restart-0001", models: [MODEL] })).id;
    datasetId = (await createDataset(as, { name: `restart-${run}`, rows: Array.from({ length: ROWS }, (_, i) => ({ variables: { i: String(i) }, expected: "ok" })) })).id;
  }, 900_000);

  afterAll(async () => {
    for (const a of apps) await a.stop();
    await db.dataset.deleteMany({ where: { id: datasetId } });
    await db.providerAccount.deleteMany({ where: { id: accountId } });
    await fake?.close();
    await closeDb();
  });

  it("issue 20 done-when: 200 rows, the instance SIGKILLed mid-run, a restarted instance finishes it: no row run twice, none lost", async () => {
    const first = await startApp(ENV);
    apps.push(first);
    const r = await startRun(as, {
      datasetId,
      draft: { type: "chat", messages: [{ role: "user", content: "Row {{i}}" }], variables: [{ name: "i", type: "string", required: true }], config: { model: MODEL } },
      scorers: [{ type: "exact" }],
      concurrency: CONCURRENCY,
    });
    // Mid-run: some rows done, most not.
    await eventually(async () => ((await db.evalRow.count({ where: { runId: r.id, status: "done" } })) >= 30 ? true : null), 60_000, "30 rows done");
    await first.kill();
    const atKill = await db.evalRow.findMany({ where: { runId: r.id }, select: { rowIndex: true, status: true } });
    const doneAtKill = new Set(atKill.filter((x) => x.status === "done").map((x) => x.rowIndex));
    expect(doneAtKill.size).toBeLessThan(ROWS);
    expect((await db.evalRun.findUniqueOrThrow({ where: { id: r.id } })).status).toBe("running");

    apps.push(await startApp(ENV));
    const finished = await eventually(async () => {
      const x = await db.evalRun.findUniqueOrThrow({ where: { id: r.id } });
      return x.status === "completed" ? x : null;
    }, 120_000, "the run to complete on the restarted instance");
    expect(finished).toMatchObject({ done: ROWS, failed: 0 });

    const rows = await db.evalRow.findMany({ where: { runId: r.id }, orderBy: { rowIndex: "asc" } });
    // None lost, none twice: one result per row index (the unique (run, row) index holds the second half).
    expect(rows.map((x) => x.rowIndex)).toEqual(Array.from({ length: ROWS }, (_, i) => i));
    expect(rows.every((x) => x.status === "done" && x.output === "ok")).toBe(true);

    // Upstream hits per row, from the fake's own log.
    const hits = new Map<number, number>();
    for (const q of fake.requests) {
      const m = /^Row (\d+)$/.exec(q.body?.messages?.[0]?.content ?? "");
      if (m) hits.set(Number(m[1]), (hits.get(Number(m[1])) ?? 0) + 1);
    }
    const rerun = rows.filter((x) => x.attempts > 1);
    process.stdout.write(`restart: ${doneAtKill.size} rows done at the kill, ${rerun.length} re-run after the takeover, ${fake.requests.length} upstream calls for ${ROWS} rows\n`);
    // Only what the killed instance had under way is run again, and only once more.
    expect(rerun.length).toBeLessThanOrEqual(CONCURRENCY);
    for (const x of rerun) {
      expect(doneAtKill.has(x.rowIndex)).toBe(false);
      expect(x.attempts).toBe(2);
    }
    const twice = [...hits].filter(([, n]) => n > 1).map(([i]) => i);
    for (const i of twice) expect(rerun.map((x) => x.rowIndex)).toContain(i);
    // Every row that finished before the kill reached the upstream exactly once.
    for (const i of doneAtKill) expect({ row: i, hits: hits.get(i) }).toEqual({ row: i, hits: 1 });
    // And every row reached it at least once, at most its attempts.
    for (const x of rows) {
      const n = hits.get(x.rowIndex) ?? 0;
      expect(n).toBeGreaterThanOrEqual(1);
      expect(n).toBeLessThanOrEqual(x.attempts);
    }
  }, 300_000);
});
