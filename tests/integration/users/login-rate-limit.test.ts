import { afterAll, describe, expect, it } from "vitest";
import { closeDb } from "@/lib/db";
import { admitLoginAttempt, clearLoginFailures, releaseLoginAttempt, stopBucketSweeper } from "@/lib/users";
import { config } from "@/lib/config";

describe("login rate limit", () => {
  afterAll(async () => {
    stopBucketSweeper();
    await closeDb();
  });
  const max = () => config().LOGIN_MAX_ATTEMPTS;
  const win = () => config().LOGIN_WINDOW_SECONDS;
  // A fixed clock at the start of a window keeps the test independent of wall time.
  const t0 = Math.floor(Date.now() / (win() * 1000)) * win() * 1000 + 1000;

  it("blocks an email after the configured number of attempts, with a retry time", async () => {
    const email = `victim-${Date.now()}@x.test`;
    for (let i = 0; i < max(); i++) {
      expect(await admitLoginAttempt(email, `10.0.0.${i}`, t0)).toMatchObject({ allowed: true });
    }
    const gate = await admitLoginAttempt(email, "10.9.9.9", t0);
    expect(gate.allowed).toBe(false);
    expect(gate.allowed === false && gate.retryAfterSeconds).toBe(win() - 1);
    // Another email from a fresh IP is unaffected.
    expect(await admitLoginAttempt(`other-${Date.now()}@x.test`, "10.8.8.8", t0)).toMatchObject({ allowed: true });
  });

  it("blocks an IP that sprays many emails", async () => {
    const ip = `192.0.2.${Math.floor(Math.random() * 200)}`;
    for (let i = 0; i < max(); i++) await admitLoginAttempt(`spray-${i}-${Date.now()}@x.test`, ip, t0);
    expect((await admitLoginAttempt(`fresh-${Date.now()}@x.test`, ip, t0)).allowed).toBe(false);
  });

  it("counts concurrent attempts exactly: of a parallel burst, exactly the limit is admitted", async () => {
    const email = `burst-${Date.now()}@x.test`;
    const gates = await Promise.all(Array.from({ length: 3 * max() }, (_, i) => admitLoginAttempt(email, `198.51.100.${i}`, t0)));
    expect(gates.filter((g) => g.allowed)).toHaveLength(max());
    expect((await admitLoginAttempt(email, "203.0.113.1", t0)).allowed).toBe(false);
  });

  it("takes back an attempt that checked nothing, within its window only", async () => {
    const email = `release-${Date.now()}@x.test`;
    const gates = [];
    for (let i = 0; i < max(); i++) gates.push(await admitLoginAttempt(email, null, t0));
    const last = gates.at(-1)!;
    if (!last.allowed) throw new Error("the last attempt within the limit was refused");
    await releaseLoginAttempt(email, null, last);
    expect((await admitLoginAttempt(email, null, t0)).allowed).toBe(true);
    expect((await admitLoginAttempt(email, null, t0)).allowed).toBe(false);
    // A release for a window that has ended gives nothing back in the current one.
    const later = t0 + win() * 1000;
    for (let i = 0; i < max(); i++) await admitLoginAttempt(email, null, later);
    await releaseLoginAttempt(email, null, last);
    expect((await admitLoginAttempt(email, null, later)).allowed).toBe(false);
  });

  it("resets when the window moves on, and after a successful sign-in", async () => {
    const email = `reset-${Date.now()}@x.test`;
    for (let i = 0; i < max(); i++) await admitLoginAttempt(email, `172.16.0.${i}`, t0);
    expect((await admitLoginAttempt(email, "172.16.1.1", t0)).allowed).toBe(false);
    expect((await admitLoginAttempt(email, "172.16.1.2", t0 + win() * 1000)).allowed).toBe(true);
    await clearLoginFailures(email);
    expect((await admitLoginAttempt(email, "172.16.1.3", t0)).allowed).toBe(true);
  });

  it("does not let an attempt stamped with an older window (a lagging clock) reset a newer window's count", async () => {
    const email = `skew-${Date.now()}@x.test`;
    const later = t0 + win() * 1000;
    for (let i = 0; i < max(); i++) await admitLoginAttempt(email, null, later);
    expect((await admitLoginAttempt(email, null, t0)).allowed).toBe(false);
    expect((await admitLoginAttempt(email, null, later)).allowed).toBe(false);
  });
});
