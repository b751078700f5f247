// The pool in-process against the real registry (accounts in Postgres, served
// from memory): weights, tiers, exclusion of unhealthy accounts, strategies
// and the outcome reporting the gateway does on every attempt.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  callStarted, clearHealthState, createAccount, invalidateRegistry, pickAccounts, reportFailure, reportSuccess, updateRoutingSettings,
  type Candidate,
} from "@/lib/accounts";
import { closeDb, db } from "@/lib/db";
import { ProviderError } from "@/lib/providers";

const system = { kind: "system", name: "test" } as const;
const run = Date.now().toString(36);
const model = (m: string) => `pool-${run}-${m}`;

const err500 = () => new ProviderError("boom", { status: 500, code: "upstream_http_error", retryable: true, provider: "openai" });
const err429 = (ms: number) => new ProviderError("slow down", { status: 429, code: "upstream_http_error", retryable: true, provider: "openai", retryAfterMs: ms });

describe("account pool", () => {
  const ids: Record<string, string> = {};
  const names = (cs: Candidate[]) => cs.map((c) => c.account.name.replace(`-${run}`, ""));

  beforeAll(async () => {
    const mk = async (name: string, input: Record<string, unknown>) =>
      (ids[name] = (await createAccount(system, { name: `${name}-${run}`, provider: "simulator", ...input })).id);
    await mk("heavy", { models: [model("w")], weight: 3 });
    await mk("light", { models: [model("w")], weight: 1 });
    await mk("primary", { models: [model("t")], priority: 0 });
    await mk("secondary", { models: [model("t")], priority: 1 });
    await mk("cheap", { models: [model("c")], aliases: { [model("c")]: `cheap-model-${run}` } });
    await mk("pricey", { models: [model("c")], aliases: { [model("c")]: `pricey-model-${run}` } });
    await db.modelPrice.createMany({
      data: [
        { model: `cheap-model-${run}`, inputPerMTok: 0.1, outputPerMTok: 0.2, effectiveFrom: new Date(0) },
        { model: `pricey-model-${run}`, inputPerMTok: 5, outputPerMTok: 15, effectiveFrom: new Date(0) },
      ],
    });
    invalidateRegistry();
  });

  afterAll(async () => {
    await db.providerAccount.deleteMany({ where: { name: { endsWith: `-${run}` } } });
    await db.modelPrice.deleteMany({ where: { model: { endsWith: `-${run}` } } });
    await db.setting.deleteMany({ where: { key: "accounts.routing" } });
    await closeDb();
  });

  beforeEach(() => clearHealthState());

  it("holds weights 3:1 over 2,000 picks (chi-square at p > 0.001)", async () => {
    const counts: Record<string, number> = { heavy: 0, light: 0 };
    for (let i = 0; i < 2000; i++) counts[names(await pickAccounts(model("w")))[0]!]!++;
    const chi2 = (counts.heavy! - 1500) ** 2 / 1500 + (counts.light! - 500) ** 2 / 500;
    expect(chi2).toBeLessThan(10.83);
  });

  it("orders by priority tier and reaches the lower tier only when the higher one is unavailable", async () => {
    expect(names(await pickAccounts(model("t")))).toEqual(["primary", "secondary"]);
    const primary = (await pickAccounts(model("t")))[0]!;
    for (let i = 0; i < 5; i++) {
      const done = callStarted(primary);
      done();
      reportFailure(primary, err500());
    }
    expect(names(await pickAccounts(model("t")))).toEqual(["secondary"]);
    // The circuit is per model: the same account still serves others.
    expect(() => callStarted({ ...primary, upstreamModel: "another-model" })()).not.toThrow();
  });

  it("refuses a call to an account whose circuit is open, without counting the refusal against it", async () => {
    const c = (await pickAccounts(model("t")))[0]!;
    for (let i = 0; i < 5; i++) reportFailure(c, err500());
    let refusal: unknown;
    try {
      callStarted(c);
    } catch (e) {
      refusal = e;
    }
    expect(refusal).toBeInstanceOf(ProviderError);
    reportFailure(c, refusal as ProviderError); // as withFailover would: must be ignored
    expect(names(await pickAccounts(model("t")))).toEqual(["secondary"]);
  });

  it("answers 503 with Retry-After when every account serving the model is unavailable", async () => {
    for (const c of await pickAccounts(model("t"))) reportFailure(c, err429(3000));
    const e = await pickAccounts(model("t")).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: "service_unavailable", status: 503 });
    expect((e as { details: { headers: Record<string, string> } }).details.headers["retry-after"]).toBe("3");
  });

  it("never picks a draining account, and refuses new calls to it", async () => {
    await db.providerAccount.update({ where: { id: ids.primary }, data: { draining: true } });
    invalidateRegistry();
    try {
      const picked = await pickAccounts(model("t"));
      expect(names(picked)).toEqual(["secondary"]);
    } finally {
      await db.providerAccount.update({ where: { id: ids.primary }, data: { draining: false } });
      invalidateRegistry();
    }
  });

  it("with the cheapest strategy for a model, tries the account with the lower price first", async () => {
    await updateRoutingSettings(system, { modelStrategies: { [`pool-${run}-c*`]: "cheapest" } });
    const { loadPrices } = await import("@/lib/pricing");
    await loadPrices(true);
    for (let i = 0; i < 20; i++) expect(names(await pickAccounts(model("c")))).toEqual(["cheap", "pricey"]);
    await updateRoutingSettings(system, { modelStrategies: {} });
  });

  it("with least latency, learns from reported outcomes and prefers the faster account", async () => {
    await updateRoutingSettings(system, { strategy: "least_latency" });
    try {
      const [heavy, light] = ["heavy", "light"].map((n) => ({ account: { id: ids[n] } as Candidate["account"], upstreamModel: model("w") }));
      reportSuccess(heavy as Candidate, { latencyMs: 90 });
      reportSuccess(light as Candidate, { latencyMs: 40 });
      let light1st = 0;
      for (let i = 0; i < 200; i++) if (names(await pickAccounts(model("w")))[0] === "light") light1st++;
      expect(light1st).toBeGreaterThanOrEqual(180);
    } finally {
      await updateRoutingSettings(system, { strategy: "weighted" });
    }
  });
});
