import { Writable } from "node:stream";
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
