import { describe, expect, it } from "vitest";
import { abortInFlight, activeCalls, activeStreams, drainAndRunHooks, onShutdown, trackCall, trackStream } from "@/lib/observability/lifecycle";

describe("shutdown sequence", () => {
  it("waits for streams that finish before the deadline, ends the rest, and runs the hooks only after all are settled", async () => {
    const events: string[] = [];
    const finishing = trackStream(() => events.push("aborted fast stream (wrong)"));
    setTimeout(() => {
      events.push("fast stream done");
      finishing();
    }, 20);
    // A stuck stream whose abort callback settles it, as the gateway's does.
    const stuck: { done?: () => void } = {};
    stuck.done = trackStream(() => {
      events.push("stuck stream ended with an error event");
      stuck.done!();
    });
    // A non-streamed call still waiting on its upstream.
    const call: { done?: () => void } = {};
    call.done = trackCall(() => {
      events.push("waiting call settled");
      call.done!();
    });
    onShutdown("test-usage-flush", async () => {
      events.push(`hooks ran with ${activeStreams()} streams and ${activeCalls()} calls open`);
    }, 10);
    const t = performance.now();
    await drainAndRunHooks(150);
    expect(performance.now() - t).toBeGreaterThanOrEqual(140);
    expect(events).toEqual([
      "fast stream done",
      "stuck stream ended with an error event",
      "waiting call settled",
      "hooks ran with 0 streams and 0 calls open",
    ]);
  });

  it("returns at once when nothing is in flight", async () => {
    const t = performance.now();
    expect(await abortInFlight(5000)).toEqual({ streams: 0, calls: 0 });
    expect(performance.now() - t).toBeLessThan(100);
  });
});
