import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AppError, errorBody, toAppError } from "@/lib/core";

describe("error model", () => {
  it("maps a ZodError to 400 with the failing field as param", () => {
    const r = z.object({ messages: z.array(z.object({ role: z.string() })) }).safeParse({ messages: [{ role: 3 }] });
    const err = toAppError(r.error);
    expect(err.status).toBe(400);
    expect(err.details.param).toBe("messages.0.role");
    expect(errorBody(err, "openai")).toMatchObject({ error: { type: "invalid_request_error", code: "validation_error", param: "messages.0.role" } });
  });

  it("maps Prisma unique and not-found errors to 409 and 404", () => {
    expect(toAppError({ code: "P2002", meta: { target: ["email"] } }).status).toBe(409);
    expect(toAppError({ code: "P2025", meta: { modelName: "User" } }).status).toBe(404);
  });

  it("maps provider errors to the upstream status family", () => {
    const pe = (status: number) => Object.assign(new Error("upstream said no"), { name: "ProviderError", status, code: "upstream_http_error", retryAfterMs: 2000 });
    expect(toAppError(pe(429)).status).toBe(429);
    expect(toAppError(pe(429)).details.headers).toEqual({ "retry-after": "2" });
    expect(toAppError(pe(503)).status).toBe(502);
    expect(toAppError(pe(504)).status).toBe(504);
    expect(toAppError(pe(400)).status).toBe(400);
  });

  it("hides internals of unknown errors", () => {
    const err = toAppError(new Error("connection string postgres://secret@db"));
    expect(err.status).toBe(500);
    expect(JSON.stringify(errorBody(err, "default"))).not.toContain("secret");
  });

  it("uses the console envelope outside the OpenAI API", () => {
    expect(errorBody(new AppError("forbidden", "no"), "default")).toEqual({ error: { code: "forbidden", message: "no" } });
  });
});

describe("logged 5xx", () => {
  it("faults #14.2: an unknown error mapped to a 500 keeps it as the cause, and the logged line shows the cause's message and stack", async () => {
    const { Writable } = await import("node:stream");
    const { createLogger } = await import("@/lib/observability/logger");
    const lines: string[] = [];
    const log = createLogger(new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) }), "info");
    const original = new RangeError("Maximum call stack size exceeded");
    const err = toAppError(original);
    expect(err.status).toBe(500);
    expect(err.cause).toBe(original);
    // Wrapped once more, as the gateway does for a failed call.
    log.error({ err: toAppError(err) }, "unhandled error");
    // The logger writes each cause as an object of its own (pino's errWithCause).
    type Logged = { message: string; stack: string; cause?: Logged };
    const logged = JSON.parse(lines[0]!) as { err: Logged };
    let root: Logged = logged.err;
    while (root.cause) root = root.cause;
    expect(root.message).toContain("Maximum call stack size exceeded");
    expect(root.stack).toContain("RangeError: Maximum call stack size exceeded");
    // The client still learns nothing of it.
    expect(JSON.stringify(errorBody(err, "openai"))).not.toContain("stack");
  });
});
