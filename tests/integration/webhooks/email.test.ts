// Budget alerts by email (issue 19 §3): nodemailer from the environment, against a real SMTP server
// (the npm smtp-server package) run inside the test. An email is an outbox delivery like a webhook:
// a refused message is retried, then delivered.
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_WORKSPACE_ID } from "@/lib/core";
import { closeDb, db } from "@/lib/db";
import { recordEvent } from "@/lib/events";
import { startApp, type AppServer } from "../../support/app-server";
import { eventually } from "../../support/eventually";

type Mail = { from: string; to: string[]; raw: string };

/** RFC 2047 Q-encoded words (=?UTF-8?Q?...?=), adjacent ones joined without the space between them. */
function decodeWords(text: string): string {
  return text.replace(/\?=\s+=\?/g, "?==?").replace(/=\?UTF-8\?Q\?(.*?)\?=/gi, (_, q: string) =>
    Buffer.from(q.replace(/_/g, " ").replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), "latin1").toString("utf8"));
}

describe("budget alert email", () => {
  let app: AppServer;
  let smtp: SMTPServer;
  const mails: Mail[] = [];
  let refuseNext = 0;

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          if (refuseNext > 0) {
            refuseNext--;
            return callback(Object.assign(new Error("try again later"), { responseCode: 451 }));
          }
          mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "", to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString("utf8") });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", () => resolve()));
    const port = (smtp.server.address() as AddressInfo).port;
    app = await startApp({
      SMTP_URL: `smtp://127.0.0.1:${port}`, SMTP_FROM: "Promptgate <alerts@promptgate.test>", BUDGET_ALERT_EMAILS: "ops@example.test, finance@example.test",
      WEBHOOK_POLL_MS: "250", WEBHOOK_RETRY_BASE_MS: "250", WEBHOOK_RETRY_MAX_MS: "1000", WEBHOOK_TIMEOUT_MS: "3000",
    });
  }, 900_000);

  afterAll(async () => {
    await app?.stop();
    await new Promise<void>((resolve) => smtp?.close(() => resolve()));
    await closeDb();
  });

  it("sends a budget.threshold event to BUDGET_ALERT_EMAILS over SMTP, retrying a refused message", async () => {
    refuseNext = 1;
    const eventId = await recordEvent({ type: "budget.threshold", workspaceId: DEFAULT_WORKSPACE_ID, data: {
      policyId: "00000000-0000-0000-0000-0000000000aa", policyName: "team spend", scope: "workspace", workspaceSlug: "default", metric: "spend_usd", period: "month",
      threshold: 80, used: 80.5, limit: 100, resetsAt: "2027-01-01T00:00:00.000Z", timeZone: "UTC",
    } });
    const d = await eventually(async () => {
      const row = await db.webhookDelivery.findFirst({ where: { eventId, target: "email" } });
      return row?.status === "delivered" ? row : null;
    }, 30_000, "the email delivered");
    expect(d.attempts).toBe(2);
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.from).toBe("alerts@promptgate.test");
    expect(mail.to.sort()).toEqual(["finance@example.test", "ops@example.test"]);
    // Long headers are folded onto continuation lines (RFC 5322); unfold before reading them.
    // A subject with quotes or parentheses is sent as RFC 2047 encoded words: decode them as a mail client would.
    const headers = decodeWords(mail.raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, " "));
    // The fields of lib/events/README.md's budget events, as quota settlement writes them.
    expect(headers).toMatch(/^Subject: \[Promptgate\] Budget "team spend" of workspace default \(spend \(USD\) per month\) crossed 80%: 80\.5 of 100; resets 2027-01-01T00:00:00\.000Z$/m);
    expect(headers).toContain(`Message-ID: <${eventId}@promptgate>`);
    expect(mail.raw).toContain("threshold: 80");
  });

  it("sends no email for events that are not budget alerts", async () => {
    const eventId = await recordEvent({ type: "experiment.started", workspaceId: DEFAULT_WORKSPACE_ID, data: { name: "not-mailed" } });
    await eventually(async () => (await db.outboxEvent.findUnique({ where: { id: eventId } }))?.dispatchedAt, 15_000, "the fan-out");
    expect(await db.webhookDelivery.count({ where: { eventId } })).toBe(0);
  });
});
