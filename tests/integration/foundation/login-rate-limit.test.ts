import { afterAll, describe, expect, it } from "vitest";
import { closeDb } from "@/lib/db";
import { checkLoginAllowed, clearLoginFailures, recordLoginFailure } from "@/lib/auth/login-rate-limit";
import { config } from "@/lib/config";

describe("login rate limit", () => {
  afterAll(closeDb);
  const max = () => config().LOGIN_MAX_ATTEMPTS;
  const win = () => config().LOGIN_WINDOW_SECONDS;
  // A fixed clock at the start of a window keeps the test independent of wall time.
  const t0 = Math.floor(Date.now() / (win() * 1000)) * win() * 1000 + 1000;

  it("blocks an email after the configured number of failures, with a retry time", async () => {
    const email = `victim-${Date.now()}@x.test`;
    for (let i = 0; i < max(); i++) {
      expect(await checkLoginAllowed(email, `10.0.0.${i}`, t0)).toEqual({ allowed: true });
      await recordLoginFailure(email, `10.0.0.${i}`, t0);
    }
    const gate = await checkLoginAllowed(email, "10.9.9.9", t0);
    expect(gate.allowed).toBe(false);
    expect(gate.allowed === false && gate.retryAfterSeconds).toBe(win() - 1);
    // Another email from a fresh IP is unaffected.
    expect(await checkLoginAllowed(`other-${Date.now()}@x.test`, "10.8.8.8", t0)).toEqual({ allowed: true });
  });

  it("blocks an IP that sprays many emails", async () => {
    const ip = `192.0.2.${Math.floor(Math.random() * 200)}`;
    for (let i = 0; i < max(); i++) await recordLoginFailure(`spray-${i}-${Date.now()}@x.test`, ip, t0);
    expect((await checkLoginAllowed("fresh@x.test", ip, t0)).allowed).toBe(false);
  });

  it("counts concurrent failures exactly", async () => {
    const email = `burst-${Date.now()}@x.test`;
    await Promise.all(Array.from({ length: max() - 1 }, (_, i) => recordLoginFailure(email, `198.51.100.${i}`, t0)));
    expect((await checkLoginAllowed(email, "203.0.113.1", t0)).allowed).toBe(true);
    await recordLoginFailure(email, "203.0.113.2", t0);
    expect((await checkLoginAllowed(email, "203.0.113.1", t0)).allowed).toBe(false);
  });

  it("resets when the window moves on, and after a successful sign-in", async () => {
    const email = `reset-${Date.now()}@x.test`;
    for (let i = 0; i < max(); i++) await recordLoginFailure(email, `172.16.0.${i}`, t0);
    expect((await checkLoginAllowed(email, "172.16.1.1", t0)).allowed).toBe(false);
    expect((await checkLoginAllowed(email, "172.16.1.1", t0 + win() * 1000)).allowed).toBe(true);
    await clearLoginFailures(email);
    expect((await checkLoginAllowed(email, "172.16.1.1", t0)).allowed).toBe(true);
  });
});
