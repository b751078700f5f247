// The first-start demo experiment: simulated traffic and feedback through the
// real usage writer and exposure hook, so the results page has honest numbers.
import { afterAll, describe, expect, it } from "vitest";
import { closeDb, db } from "@/lib/db";
import { DEMO_PROMPT, seedDemoPrompt } from "@/lib/prompts";
import { experimentResults, seedDemoExperiment } from "@/lib/experiments";

const system = { kind: "system", name: "seed" } as const;

describe("demo experiment seed", () => {
  afterAll(closeDb);

  it("creates one paused, demo-marked experiment with two phases of traffic and feedback, once", async () => {
    await seedDemoPrompt(system);
    await seedDemoExperiment(system, DEMO_PROMPT);
    expect(await seedDemoExperiment(system, DEMO_PROMPT)).toBe(false);
    const demos = await db.experiment.findMany({ where: { demo: true } });
    expect(demos).toHaveLength(1);
    const demo = demos[0]!;
    expect(demo.status).toBe("paused");

    const phase2 = await experimentResults("00000000-0000-0000-0000-000000000001", demo.id);
    expect(phase2.phase.number).toBe(2);
    expect(phase2.variants.map((v) => [v.name, v.weight])).toEqual([["A", 30], ["B", 70]]);
    const phase1 = await experimentResults("00000000-0000-0000-0000-000000000001", demo.id, 1);
    const requests = phase1.variants.reduce((a, v) => a + v.requests, 0) + phase2.variants.reduce((a, v) => a + v.requests, 0);
    expect(requests).toBe(1600);
    // Every simulated call is a real usage event with its exposure.
    expect(await db.usageEvent.count({ where: { experimentId: demo.id } })).toBe(1600);
    for (const r of [phase1, phase2]) {
      expect(r.srm.mismatch).toBe(false);
      expect(r.primary.comparisons[0]!.variant).toBe("B");
      expect(r.primary.comparisons[0]!.absoluteLift.estimate).toBeGreaterThan(0);
      expect(r.variants.every((v) => v.metrics.find((m) => m.name === "thumbs")!.n > 50)).toBe(true);
      expect(r.chart.points.length).toBeGreaterThan(5);
    }
    expect(phase1.chart.phaseStarts).toHaveLength(2);
  });
});
