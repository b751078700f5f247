import "server-only";
import { db, pool } from "@/lib/db";
import { workspaceOf, type Principal } from "@/lib/core";
// Seed-safe imports only (nothing that reaches next-auth, such as lib/gateway or lib/auth's index;
// ./store imports lib/prompts' index, which loads the gateway lazily): prisma/seed.ts imports this
// module directly, and the e2e setup runs that seed under plain Node.
import { writeBatch, type UsageEventInput } from "@/lib/usage";
import { assign } from "./assignment";
import { recordExposures } from "./exposures";
import { createRng } from "./stats";
import { changeWeights, createExperiment, stepExperiment } from "./store";

// Demo data for a fresh install (marked demo = true, shown with a badge): an
// experiment on the demo prompt's production label with five days of
// simulated traffic and thumbs feedback, including a weight change (phase 2),
// so the results page has something honest to show on first start. It is left
// paused, so real traffic to the demo prompt is not split until someone resumes it.
// The simulation is seeded: every install gets the same numbers.

export const DEMO_EXPERIMENT = "Greeting by name (demo)";

const DAY = 86_400_000;

const DEMO_SALT = "promptgate-demo-experiment";

/** Seeds the demo experiment on `prompt` (the demo prompt, lib/prompts' DEMO_PROMPT); false if there is one already. */
export async function seedDemoExperiment(actor: Principal, prompt: string, now = new Date()): Promise<boolean> {
  const workspaceId = workspaceOf(actor);
  if (await db.experiment.count({ where: { demo: true, workspaceId } })) return false;
  if (!(await db.prompt.count({ where: { name: prompt, workspaceId } }))) return false;
  const created = await createExperiment(actor, {
    name: DEMO_EXPERIMENT,
    prompt,
    label: "production",
    hypothesis: "Greeting the customer by name (version 2) earns more thumbs-up than the plain answer (version 1).",
    primaryMetric: "thumbs",
    minDetectableEffect: 0.1,
    variants: [
      { name: "A", version: 1, weight: 50, control: true },
      { name: "B", version: 2, weight: 50 },
    ],
  });
  await stepExperiment(actor, created.id, "start");
  await changeWeights(actor, created.id, { weights: { A: 30, B: 70 } });
  const e = await stepExperiment(actor, created.id, "pause");

  // Backdate the timeline: phase 1 ran for three days, phase 2 for two.
  const start = new Date(now.getTime() - 5 * DAY);
  const switchAt = new Date(now.getTime() - 2 * DAY);
  const [p1, p2] = e.phases;
  await db.experiment.update({ where: { id: e.id }, data: { demo: true, startedAt: start } });
  await db.experimentPhase.update({ where: { id: p1!.id }, data: { startedAt: start, endedAt: switchAt } });
  await db.experimentPhase.update({ where: { id: p2!.id }, data: { startedAt: switchAt } });

  const rng = createRng(7_2026);
  const events: UsageEventInput[] = [];
  const feedback: { completionId: string; name: string; value: number; createdAt: Date }[] = [];
  const rates: Record<string, number> = { A: 0.62, B: 0.7 };
  const phases = [
    { phase: p1!, from: start, to: switchAt, requests: 900 },
    { phase: p2!, from: switchAt, to: now, requests: 700 },
  ];
  let seq = 0;
  for (const { phase, from, to, requests } of phases) {
    for (let i = 0; i < requests; i++) {
      // Sticky like real traffic: the subject's hash picks the variant. Hashed under a fixed
      // name rather than the experiment's random id, so every install gets the same numbers.
      const subject = `demo-user-${Math.floor(rng.next() * 400)}`;
      const variant = phase.variants[assign(DEMO_SALT, phase.number, subject, phase.variants.map((v) => v.weight)).index]!;
      const at = new Date(from.getTime() + rng.next() * (to.getTime() - from.getTime()));
      const completionId = `chatcmpl-demo${String(++seq).padStart(6, "0")}`;
      const failed = rng.next() < 0.01;
      const output = Math.round(60 + rng.next() * 80 + (variant.name === "B" ? 12 : 0));
      events.push({
        completionId, createdAt: at, apiKeyId: null, endUser: subject, source: "completion", workspaceId,
        accountId: null, provider: "simulator", requestedModel: "sim-small", servedModel: "sim-small",
        promptVersionId: null, experimentId: e.id, variantId: variant.id,
        inputTokens: variant.name === "B" ? 58 : 44, outputTokens: failed ? 0 : output, cachedTokens: 0,
        latencyMs: Math.round(400 + Math.exp(6 + 0.4 * rng.normal())), ttftMs: failed ? null : Math.round(120 + 60 * rng.next()),
        status: failed ? "upstream_error" : "ok", errorCode: failed ? "upstream_http_error" : null, stream: false, attempts: 1,
      });
      if (!failed && rng.next() < 0.6) {
        feedback.push({ completionId, name: "thumbs", value: rng.next() < rates[variant.name]! ? 1 : 0, createdAt: new Date(at.getTime() + 30_000) });
        if (rng.next() < 0.3) feedback.push({ completionId, name: "rating", value: Math.min(5, Math.max(1, Math.round(3.6 + (variant.name === "B" ? 0.3 : 0) + rng.normal()))), createdAt: new Date(at.getTime() + 40_000) });
      }
    }
  }
  const versionIds = new Map(
    (await db.promptVersion.findMany({ where: { prompt: { name: prompt, workspaceId } }, select: { id: true, version: true } })).map((v) => [v.version, v.id]),
  );
  const versionOf = new Map(e.phases.flatMap((p) => p.variants.map((v) => [v.id, versionIds.get(v.promptVersion) ?? null] as const)));
  for (const ev of events) ev.promptVersionId = versionOf.get(ev.variantId!) ?? null;
  // Exposures are a settlement step the gateway registers at start, which a seed script has not done:
  // record them here from the events each batch stored (idempotent, so a registered step does no harm).
  for (let i = 0; i < events.length; i += 500) await recordExposures(pool(), await writeBatch(events.slice(i, i + 500)));
  await db.feedback.createMany({ data: feedback.map((f) => ({ ...f, workspaceId, updatedAt: f.createdAt })), skipDuplicates: true });
  return true;
}
