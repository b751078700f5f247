import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createLogger } from "@/lib/observability/logger";

function capture() {
  const lines: string[] = [];
  const dest = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { log: createLogger(dest, "info"), lines };
}

describe("logger redaction", () => {
  it("never writes passwords, API keys, authorization headers or cookies", () => {
    const { log, lines } = capture();
    log.info({ password: "hunter2hunter2", user: { password: "p@ss-nested", apiKey: "pgk_secretsecret" } }, "login");
    log.info({ headers: { authorization: "Bearer pgk_topsecret", cookie: "authjs.session-token=abc", "x-api-key": "pgk_other" } }, "req");
    log.info({ req: { headers: { authorization: "Bearer sk-upstream", cookie: "c=1" } } }, "nested req");
    const out = lines.join("");
    for (const secret of ["hunter2hunter2", "p@ss-nested", "pgk_secretsecret", "pgk_topsecret", "authjs.session-token=abc", "pgk_other", "sk-upstream"]) {
      expect(out).not.toContain(secret);
    }
    expect(out.match(/\[redacted\]/g)?.length).toBeGreaterThanOrEqual(7);
  });

  it("writes structured JSON with the level as a label", () => {
    const { log, lines } = capture();
    log.child({ requestId: "r-1" }).warn({ path: "/x" }, "hello");
    const rec = JSON.parse(lines[0]!);
    expect(rec).toMatchObject({ level: "warn", requestId: "r-1", path: "/x", msg: "hello", service: "promptgate" });
  });
});

// Security #13.8: 35 call sites logged { err: String(err) }, which keeps only
// "Error: message" and throws away pino's error serializer: no stack, no cause,
// no code. They log { err } now, and the serializer scrubs credentials that an
// error can carry in its message or fields (a URL's password, a bearer token).
describe("security #13.8 logs", () => {
  const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

  it("security #13.8 logs: logger.error({ err }) writes the error's type, message, stack and cause", () => {
    const { log, lines } = capture();
    const cause = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    const err = new TypeError("fetch failed", { cause });
    log.error({ err }, "usage batch write failed; will retry");
    const rec = JSON.parse(lines[0]!) as { err: { type: string; message: string; stack: string; cause?: { message: string; code?: string; stack: string } } };
    expect(rec.err.type).toBe("TypeError");
    expect(rec.err.message).toBe("fetch failed");
    expect(rec.err.stack).toMatch(/^TypeError: fetch failed\n\s+at /);
    expect(rec.err.stack).toContain("logger.test.ts");
    expect(rec.err.cause).toMatchObject({ message: "connect ECONNREFUSED 127.0.0.1:5432", code: "ECONNREFUSED" });
    expect(rec.err.cause!.stack).toMatch(/^Error: connect ECONNREFUSED/);
  });

  it("security #13.8 logs: an error carrying a URL with a password, a bearer token or secret headers and options is logged without them", () => {
    const { log, lines } = capture();
    // Node's URL parser keeps the whole input on the error (err.input), password included.
    let invalid: unknown;
    try {
      new URL("postgresql://promptgate:Pg-S3cret-pw@db host:5432/promptgate");
    } catch (e) {
      invalid = e;
    }
    expect((invalid as { input?: string }).input).toContain("Pg-S3cret-pw");
    log.error({ err: invalid }, "could not connect");
    const wrapped = new Error("connect to postgres://admin:Hunter2-db-pw@10.0.0.5/app failed", {
      cause: Object.assign(new Error("upstream said 401 for Authorization: Bearer sk-live-Upstream-Token-123"), { url: "https://u:Basic-Pw-456@api.example/v1" }),
    });
    log.warn({ err: wrapped }, "wrapped");
    // An HTTP client's error can carry the request's headers or options as fields, its cause's included.
    const withFields = Object.assign(new Error("request failed", { cause: Object.assign(new Error("socket hang up"), { options: { apiKey: "sk-raw-Option-Key-789" } }) }), {
      headers: { authorization: "raw-Header-Token-000", cookie: "authjs.session-token=Cookie-Val-111", "x-api-key": "pgk_Header-Key-222" },
    });
    log.error({ err: withFields }, "fields");
    const out = lines.join("");
    for (const secret of ["Pg-S3cret-pw", "Hunter2-db-pw", "sk-live-Upstream-Token-123", "Basic-Pw-456", "sk-raw-Option-Key-789", "raw-Header-Token-000", "Cookie-Val-111", "pgk_Header-Key-222"]) {
      expect(out).not.toContain(secret);
    }
    // Everything else stays: the user, the host, the message.
    expect(out).toContain("postgresql://promptgate:[redacted]@db host:5432/promptgate");
    expect(out).toContain("postgres://admin:[redacted]@10.0.0.5/app");
    expect(out).toContain("Bearer [redacted]");
  });

  it("security #13.8 logs: no call site flattens an error into a string before logging it", () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
        const rel = join(dir, e.name);
        if (e.isDirectory()) {
          if (e.name !== "generated" && e.name !== "node_modules") walk(rel);
        } else if (/\.(ts|tsx)$/.test(e.name)) files.push(rel);
      }
    };
    for (const d of ["lib", "app", "components", "scripts", "prisma"]) walk(d);
    files.push("instrumentation.ts", "proxy.ts");
    const flattened = files.flatMap((f) =>
      readFileSync(join(ROOT, f), "utf8")
        .split("\n")
        .map((line, i) => ({ line, at: `${f}:${i + 1}` }))
        .filter(({ line }) => /\b(err|error)\s*:\s*(String\(\w+\)|\w+\.message\b|`\$\{)/.test(line) && /\b(log|logger)\b/.test(line))
        .map(({ at, line }) => `${at}: ${line.trim()}`),
    );
    expect(flattened).toEqual([]);
  });
});
