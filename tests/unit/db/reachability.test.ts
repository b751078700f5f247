import { describe, expect, it } from "vitest";
import { DatabaseUnavailableError, isDatabaseUnreachable, noteAnswer, withinReach } from "@/lib/db/reachability";

const never = () => new Promise<never>(() => {});
const after = <T>(ms: number, v: T) => new Promise<T>((r) => setTimeout(() => r(v), ms));

describe("database reachability", () => {
  it("faults #14.3: recognises a database that refused, dropped or shut down, and nothing else", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED", syscall: "connect", errno: -111 });
    const prisma = { code: "P1001", meta: { driverAdapterError: { cause: { kind: "DatabaseNotReachable" } } }, message: "Can't reach database server" };
    const closed = { code: "P2010", meta: { driverAdapterError: { cause: { kind: "ConnectionClosed" } } }, message: "x" };
    const shutdown = Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01", severity: "FATAL" });
    const starting = Object.assign(new Error("the database system is starting up"), { code: "57P03" });
    const dropped = new Error("Connection terminated unexpectedly");
    const wrapped = new Error("query failed", { cause: dropped });
    for (const e of [refused, prisma, closed, shutdown, starting, dropped, wrapped, new DatabaseUnavailableError()]) expect(isDatabaseUnreachable(e), String(e.message)).toBe(true);

    const unique = Object.assign(new Error("duplicate key value violates unique constraint"), { code: "23505", severity: "ERROR" });
    const notFound = { code: "P2025", meta: { modelName: "ApiKey" }, message: "not found" };
    for (const e of [unique, notFound, new Error("boom"), new TypeError("x"), null, undefined, "ECONNREFUSED"]) expect(isDatabaseUnreachable(e)).toBe(false);
  });

  it("faults #14.3: waits for a slow database that keeps answering, gives up on a silent one after the bound", async () => {
    // Others' queries complete every 20 ms: this one takes 300 ms, three times the bound, and is waited for.
    const answering = setInterval(noteAnswer, 20);
    try {
      await expect(withinReach(after(300, "done"), { ms: 100 })).resolves.toBe("done");
    } finally {
      clearInterval(answering);
    }
    // Nothing answers at all: refused once the bound has passed.
    const t = performance.now();
    await expect(withinReach(never(), { ms: 100 })).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(performance.now() - t).toBeGreaterThanOrEqual(95);
    expect(performance.now() - t).toBeLessThan(1000);
  });

  it("faults #14.3: an elapsed bound ends the wait even while the database answers", async () => {
    const answering = setInterval(noteAnswer, 10);
    try {
      await expect(withinReach(after(400, "late"), { ms: 100, until: "elapsed" })).rejects.toBeInstanceOf(DatabaseUnavailableError);
    } finally {
      clearInterval(answering);
    }
  });

  it("faults #14.3: an unreachable error becomes DatabaseUnavailableError at once; any other error passes through", async () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    await expect(withinReach(Promise.reject(refused), { ms: 10_000 })).rejects.toBeInstanceOf(DatabaseUnavailableError);
    const sqlError = Object.assign(new Error("syntax error"), { code: "42601" });
    await expect(withinReach(Promise.reject(sqlError), { ms: 10_000 })).rejects.toBe(sqlError);
  });
});
