// Limits on CSV exports: a reader that stops reading is cut off, no export
// runs longer than the maximum, each caller runs at most EXPORT_MAX_PER_USER at
// once, and Postgres itself ends an export transaction that its instance left
// idle (a frozen process cannot run its own timers).
import http from "node:http";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as eventsGET } from "@/app/api/admin/usage/export/events/route";
import { createApiKey } from "@/lib/auth/api-keys";
import { closeDb } from "@/lib/db";
import { startApp, type AppServer } from "../../support/app-server";
import { eventually } from "../../support/eventually";

// Read once per process by lib/config: set before anything is imported.
vi.hoisted(() => {
  process.env.EXPORT_IDLE_TIMEOUT_MS = "2000";
  process.env.EXPORT_MAX_DURATION_MS = "8000";
  process.env.EXPORT_MAX_PER_USER = "2";
});

const system = { kind: "system", name: "test" } as const;
const FROM = Date.UTC(2038, 0, 1);
const ROWS = 300_000;
const query = `range=custom&from=${new Date(FROM).toISOString()}&to=${new Date(FROM + 86_400_000).toISOString()}`;

describe("usage export limits", () => {
  let sql: pg.Pool;
  let keyA: string;
  let keyB: string;

  const exportAs = (key: string) =>
    eventsGET(new Request(`http://localhost/api/admin/usage/export/events?${query}`, { headers: { authorization: `Bearer ${key}` } }), { params: Promise.resolve({}) });
  const exportConnections = async () => (await sql.query(`SELECT state FROM pg_stat_activity WHERE application_name = 'promptgate-export'`)).rows.map((r) => r.state as string);
  const noExportConnections = () => eventually(async () => (await exportConnections()).length === 0, 20_000, "every export connection closed");

  beforeAll(async () => {
    sql = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
    keyA = (await createApiKey(system, { name: "export-limits-a", scopes: ["admin"] })).key;
    keyB = (await createApiKey(system, { name: "export-limits-b", scopes: ["admin"] })).key;
    await sql.query(
      `INSERT INTO "UsageEvent" ("completionId", "createdAt", "requestedModel", "servedModel", "inputTokens", "outputTokens", "costUsd", "latencyMs", status, "endUser")
       SELECT 'limits-' || g, $1::timestamptz + (g * interval '200 ms'), 'gpt-4o-mini', 'gpt-4o-mini', 1000, 200, 0.001, 100, 'ok', 'end user ' || (g % 1000)
         FROM generate_series(1, $2) g`,
      [new Date(FROM), ROWS],
    );
  }, 300_000);

  afterAll(async () => {
    await sql?.query(`DELETE FROM "UsageEvent" WHERE "completionId" LIKE 'limits-%'`);
    await sql?.end();
    await closeDb();
  });

  it("security #13.8 exports: a reader that stops reading is cut off after the idle timeout, and the connection is released", async () => {
    const res = await exportAs(keyA);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read();
    expect(await exportConnections()).toHaveLength(1);
    const stopped = Date.now();
    await noExportConnections();
    expect(Date.now() - stopped).toBeGreaterThanOrEqual(1500);
    await expect(reader.read()).rejects.toThrow(/idle/i);
  });

  it("security #13.8 exports: an export that runs past the maximum duration is ended, even while it is being read", async () => {
    const started = Date.now();
    const res = await exportAs(keyA);
    const reader = res.body!.getReader();
    let lines = 0;
    const failure = await (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return null;
        for (const b of value) if (b === 10) lines++;
        await new Promise((r) => setTimeout(r, 80));
      }
    })().catch((e: unknown) => e);
    expect(failure, `read ${lines} lines without an error`).toBeInstanceOf(Error);
    expect(String(failure)).toMatch(/longer than/i);
    expect(Date.now() - started).toBeGreaterThanOrEqual(7500);
    expect(lines).toBeLessThan(ROWS);
    await noExportConnections();
  });

  it("security #13.8 exports: a caller runs at most EXPORT_MAX_PER_USER exports at once; the next is a 429, other callers are unaffected", async () => {
    const open: ReadableStreamDefaultReader<Uint8Array>[] = [];
    // Read slowly in the background, so the idle timeout does not end them during the test.
    const keepReading = (r: ReadableStreamDefaultReader<Uint8Array>) => {
      open.push(r);
      void (async () => {
        for (;;) {
          const { done } = await r.read();
          if (done) return;
          await new Promise((res) => setTimeout(res, 300));
        }
      })().catch(() => {});
    };
    try {
      for (let i = 0; i < 2; i++) {
        const r = await exportAs(keyA);
        expect(r.status).toBe(200);
        keepReading(r.body!.getReader());
      }
      const third = await exportAs(keyA);
      expect(third.status).toBe(429);
      const body = (await third.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("rate_limit_exceeded");
      expect(body.error.message).toMatch(/2 exports/);

      const other = await exportAs(keyB);
      expect(other.status).toBe(200);
      keepReading(other.body!.getReader());

      // A finished (here: cancelled) export frees its slot.
      await open.shift()!.cancel();
      const again = await eventually(async () => {
        const r = await exportAs(keyA);
        if (r.status === 200) return r;
        await r.body?.cancel();
        return null;
      }, 10_000, "a slot for the caller again");
      keepReading(again.body!.getReader());
    } finally {
      for (const r of open) await r.cancel().catch(() => {});
    }
    await noExportConnections();
  });

  describe("in a frozen instance", () => {
    let app: AppServer;
    beforeAll(async () => {
      app = await startApp();
    }, 600_000);
    afterAll(async () => {
      try {
        process.kill(app.pid, "SIGCONT");
      } catch {}
      await app?.stop();
    });

    it("security #13.8 exports: Postgres ends the export transaction (idle_in_transaction_session_timeout) when the process stops", async () => {
      const url = new URL(`/api/admin/usage/export/events?${query}`, app.url);
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        http.get(url, { headers: { authorization: `Bearer ${keyA}` } }, resolve).on("error", reject);
      });
      expect(res.statusCode).toBe(200);
      // Take one chunk, then stop reading: the socket buffers fill and the export waits on us.
      await new Promise((r) => res.once("data", r));
      res.pause();
      await eventually(async () => (await exportConnections()).join() === "idle in transaction", 20_000, "the export waiting for its reader");
      process.kill(app.pid, "SIGSTOP");
      // Frozen with its transaction open: only Postgres can end it now.
      expect(await exportConnections()).toEqual(["idle in transaction"]);
      await noExportConnections();
      res.destroy();
    }, 60_000);
  });
});
