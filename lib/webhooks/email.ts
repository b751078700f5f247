import "server-only";
import nodemailer, { type Transporter } from "nodemailer";
import { config, splitEmails } from "@/lib/config";
import { emailMessage, type OutboxRow } from "./payload";

// Budget alerts by email: a delivery channel of the outbox like a webhook endpoint (target "email"),
// so an email is at least once too and retried with the same backoff. Configured by the environment
// only (SMTP_URL or SMTP_HOST…, BUDGET_ALERT_EMAILS); without both, email is off and the fan-out makes
// no email deliveries.

export const EMAIL_EVENT_TYPES = ["budget.threshold", "budget.exhausted"];

export function emailEnabled(): boolean {
  const c = config();
  return Boolean((c.SMTP_URL || c.SMTP_HOST) && splitEmails(c.BUDGET_ALERT_EMAILS).length);
}

const g = globalThis as typeof globalThis & { __pgMailer?: Transporter };

function transport(): Transporter {
  if (g.__pgMailer) return g.__pgMailer;
  const c = config();
  const timeouts = { connectionTimeout: c.WEBHOOK_TIMEOUT_MS, greetingTimeout: c.WEBHOOK_TIMEOUT_MS, socketTimeout: c.WEBHOOK_TIMEOUT_MS };
  g.__pgMailer = c.SMTP_URL
    ? nodemailer.createTransport({ url: c.SMTP_URL, ...timeouts })
    : nodemailer.createTransport({
        host: c.SMTP_HOST, port: c.SMTP_PORT, secure: c.SMTP_SECURE,
        ...(c.SMTP_USER ? { auth: { user: c.SMTP_USER, pass: c.SMTP_PASSWORD ?? "" } } : {}),
        ...timeouts,
      });
  return g.__pgMailer;
}

/** Sends one alert to BUDGET_ALERT_EMAILS; throws when the SMTP server does not accept it. */
export async function sendAlertEmail(event: OutboxRow): Promise<void> {
  if (!emailEnabled()) throw new Error("email is not configured on this instance (SMTP_URL or SMTP_HOST, and BUDGET_ALERT_EMAILS)");
  const { subject, text } = emailMessage(event);
  await transport().sendMail({
    from: config().SMTP_FROM, to: splitEmails(config().BUDGET_ALERT_EMAILS), subject, text,
    // The event id: a receiving system can drop the duplicate of an at-least-once resend.
    messageId: `<${event.id}@promptgate>`,
    headers: { "X-Promptgate-Event": event.type, "X-Promptgate-Event-Id": event.id },
  });
}
