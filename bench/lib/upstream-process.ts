// The fake upstream in a process of its own (started by bench/lib/servers.ts),
// so its work and the load generator's do not share one event loop: a slow
// response write must not delay a scheduled send. Controlled over IPC.
import { startFakeUpstream, type FakeBehaviour } from "../../tests/support/fake-upstream.ts";

export type UpstreamRequest = { type: "behaviour"; behaviour: FakeBehaviour } | { type: "stats" };
export type UpstreamCommand = UpstreamRequest & { id: number };

export type UpstreamReply =
  | { type: "ready"; url: string; openaiBaseUrl: string }
  | { type: "ack"; id: number; inFlight: number; requests: number };

const send = (m: UpstreamReply) => process.send?.(m);

const fake = await startFakeUpstream({ models: ["bench-model"] });
let requests = 0;

// The fake records every request for tests to inspect; a benchmark sends
// hundreds of thousands, so count them and let the records go.
const trim = setInterval(() => {
  requests += fake.requests.length;
  fake.requests.length = 0;
}, 250);

process.on("message", (m: UpstreamCommand) => {
  if (m.type === "behaviour") {
    requests += fake.requests.length;
    fake.reset();
    fake.setDefault(m.behaviour);
  }
  requests += fake.requests.length;
  fake.requests.length = 0;
  send({ type: "ack", id: m.id, inFlight: fake.inFlight, requests });
});

let closing = false;
const close = () => {
  if (closing) return;
  closing = true;
  clearInterval(trim);
  void fake.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on("disconnect", close);
process.on("SIGTERM", close);
// A terminal Ctrl-C is the parent's to handle; it closes us in order.
process.on("SIGINT", () => {});

send({ type: "ready", url: fake.url, openaiBaseUrl: fake.openaiBaseUrl });
