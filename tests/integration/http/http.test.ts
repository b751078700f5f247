import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { closeDb } from "@/lib/db";
import { createApiKey } from "@/lib/auth/api-keys";
import { apiRoute, methods } from "@/lib/http";
import * as keysRoute from "@/app/api/admin/keys/route";
import * as live from "@/app/api/health/live/route";
import * as ready from "@/app/api/health/ready/route";
import * as benchMemory from "@/app/api/bench/memory/route";
import * as benchNoop from "@/app/api/bench/noop/route";
import * as benchProxy from "@/app/api/bench/proxy/route";
import { call } from "../../support/http";

// A route in the OpenAI-compatible namespace, built with the real wrapper.
const echo = methods({
  POST: apiRoute({ auth: "apiKey", body: z.object({ model: z.string(), n: z.number().int().optional() }) }, ({ body, requestId }) => ({ body, requestId })),
});

describe("HTTP foundations", () => {
  let key: string;
  beforeAll(async () => {
    key = (await createApiKey({ kind: "system", name: "test" }, { name: "http-test", scopes: ["admin"] })).key;
  });
  afterAll(closeDb);
  const auth = () => ({ authorization: `Bearer ${key}` });

  describe("OpenAI envelope on /api/v1", () => {
    const post = (body: unknown, headers: Record<string, string> = auth()) =>
      call(echo.POST, { method: "POST", path: "/api/v1/echo", headers, body });

    it("answers invalid JSON with 400 and a clear message", async () => {
      const r = await post("{not json");
      expect(r.status).toBe(400);
      expect(r.json).toEqual({
        error: { message: expect.stringMatching(/^Request body is not valid JSON/), type: "invalid_request_error", code: "invalid_json", param: null, request_id: expect.any(String) },
      });
    });

    it("answers a body over the limit with 413", async () => {
      const r = await post(JSON.stringify({ model: "x".repeat(1_100_000) }));
      expect(r.status).toBe(413);
      expect(r.json.error).toMatchObject({ code: "payload_too_large", type: "invalid_request_error" });
    });

    it("reads a body of declared length, and refuses one over the limit even when the declared length understates it", async () => {
      const small = JSON.stringify({ model: "m", n: 2 });
      const ok = await post(small, { ...auth(), "content-length": String(Buffer.byteLength(small)) });
      expect(ok.status).toBe(200);
      expect(ok.json.body).toEqual({ model: "m", n: 2 });
      // A declared length that understates the body does not get it past the limit.
      const big = JSON.stringify({ model: "x".repeat(1_100_000) });
      const lying = await post(big, { ...auth(), "content-length": "20" });
      expect(lying.status).toBe(413);
    });

    it("names the failing field", async () => {
      const r = await post({ model: 42 });
      expect(r.status).toBe(400);
      expect(r.json.error).toMatchObject({ code: "validation_error", param: "model" });
    });

    it("answers a missing key with 401 in OpenAI's shape", async () => {
      const r = await post({ model: "m" }, {});
      expect(r.status).toBe(401);
      expect(r.json.error).toMatchObject({ code: "invalid_api_key", type: "invalid_request_error", param: null });
      expect(r.json.error.message).toMatch(/Missing API key/);
    });

    it("answers an unknown key with 401", async () => {
      const r = await post({ model: "m" }, { authorization: "Bearer pgk_0000000000000000000000000000000000000000" });
      expect(r.status).toBe(401);
      expect(r.json.error.message).toBe("Incorrect API key provided");
    });

    it("answers a wrong method with 405, an Allow header and the envelope", async () => {
      const r = await call(echo.GET, { path: "/api/v1/echo", headers: auth() });
      expect(r.status).toBe(405);
      expect(r.headers.get("allow")).toBe("POST");
      expect(r.json.error).toMatchObject({ code: "method_not_allowed", type: "invalid_request_error" });
    });

    it("keeps a caller's request id and makes one up otherwise", async () => {
      const r1 = await call(echo.POST, { method: "POST", path: "/api/v1/echo", headers: { ...auth(), "x-request-id": "abc-123" }, body: { model: "m" } });
      expect(r1.headers.get("x-request-id")).toBe("abc-123");
      expect(r1.json.requestId).toBe("abc-123");
      const r2 = await call(echo.POST, { method: "POST", path: "/api/v1/echo", headers: { ...auth(), "x-request-id": "bad id with spaces" }, body: { model: "m" } });
      expect(r2.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe("console envelope elsewhere", () => {
    it("uses {error:{code,message}} for invalid JSON, size and method on admin routes", async () => {
      const bad = await call(keysRoute.POST, { method: "POST", path: "/api/admin/keys", headers: auth(), body: "[1," });
      expect(bad.status).toBe(400);
      expect(bad.json).toEqual({ error: { code: "invalid_json", message: expect.any(String), requestId: expect.any(String) } });
      const big = await call(keysRoute.POST, { method: "POST", path: "/api/admin/keys", headers: { ...auth(), "content-length": "5000000" }, body: "{}" });
      expect(big.status).toBe(413);
      const put = await call(keysRoute.PUT, { method: "PUT", path: "/api/admin/keys", headers: auth() });
      expect(put.status).toBe(405);
      expect(put.headers.get("allow")).toBe("GET, POST");
      expect(put.json.error.code).toBe("method_not_allowed");
    });
  });

  describe("health", () => {
    it("live answers 200 without touching the database", async () => {
      const r = await call(live.GET, { path: "/api/health/live" });
      expect(r.status).toBe(200);
      expect(r.json.status).toBe("ok");
    });

    it("ready answers 200 when the database is migrated", async () => {
      const r = await call(ready.GET, { path: "/api/health/ready" });
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ status: "ok", database: "ok", migrations: "ok" });
    });

    it("has no benchmark routes outside a benchmark run", async () => {
      expect(process.env.PROMPTGATE_BENCH).toBeUndefined();
      for (const route of [benchNoop, benchProxy]) {
        const r = await call(route.POST, { method: "POST", path: "/api/bench/x", body: { model: "m" } });
        expect(r.status).toBe(404);
      }
      const memory = await call(benchMemory.GET, { path: "/api/bench/memory?gc=1" });
      expect(memory.status).toBe(404);
    });

    it("health routes refuse other methods", async () => {
      const r = await call(live.POST, { method: "POST", path: "/api/health/live" });
      expect(r.status).toBe(405);
    });
  });
});
