// Standard Webhooks signatures and the retry schedule: pure logic.
import { describe, expect, it } from "vitest";
import { retryDelayMs } from "@/lib/webhooks/backoff";
import { newWebhookSecret, signatureFor, webhookHeaders } from "@/lib/webhooks/signing";
import { verifyWebhook } from "../../support/webhook-receiver";

describe("webhook signatures", () => {
  it("matches the Standard Webhooks specification's test vector", () => {
    expect(signatureFor("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}')).toBe(
      "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    );
  });

  it("signs what the README's snippet verifies, and nothing else: another body, id, secret or a stale timestamp fails", () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const body = JSON.stringify({ id: "evt", type: "budget.threshold" });
    const h = webhookHeaders(secret, "evt", body);
    expect(verifyWebhook(secret, h, body)).toBe(true);
    expect(verifyWebhook(secret, h, body + " ")).toBe(false);
    expect(verifyWebhook(secret, { ...h, "webhook-id": "other" }, body)).toBe(false);
    expect(verifyWebhook(newWebhookSecret(), h, body)).toBe(false);
    const stale = webhookHeaders(secret, "evt", body, Date.now() - 10 * 60_000);
    expect(verifyWebhook(secret, stale, body)).toBe(false);
    // Several signatures (a rotation on the sender's side): any one valid v1 passes.
    expect(verifyWebhook(secret, { ...h, "webhook-signature": `v1,bm9wZQ== ${h["webhook-signature"]}` }, body)).toBe(true);
  });
});

describe("retry schedule", () => {
  it("doubles from the base up to the cap, within ±20 % jitter", () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 5000, 3_600_000, 0.5))).toEqual([5000, 10000, 20000, 40000]);
    expect(retryDelayMs(30, 5000, 3_600_000, 0.5)).toBe(3_600_000);
    for (let n = 1; n < 50; n++) {
      const lo = retryDelayMs(n, 5000, 3_600_000, 0);
      const hi = retryDelayMs(n, 5000, 3_600_000, 0.999999);
      const mid = Math.min(3_600_000, 5000 * 2 ** (n - 1));
      expect(lo).toBe(Math.round(mid * 0.8));
      expect(hi).toBeLessThanOrEqual(Math.round(mid * 1.2));
    }
  });

  it("keeps retrying for about a day with the defaults (5 s doubling to 1 h) and no more than ~40 attempts", () => {
    let t = 0;
    let n = 0;
    while (t < 24 * 3_600_000) t += retryDelayMs(++n, 5000, 3_600_000, 0.5);
    expect(n).toBeGreaterThan(20);
    expect(n).toBeLessThan(40);
  });
});
