// A real HTTP receiver for outbound webhooks: records every request, verifies its signature with the
// README's snippet (verifyWebhook below is that snippet, word for word; webhooks tests check the README
// still carries it), and answers with whatever status the test scripts.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
// ---- README snippet: begin ----
import { createHmac, timingSafeEqual } from "node:crypto";

/** Standard Webhooks verification: true when `body` (the raw text) was signed with `secret` ("whsec_…") within 5 minutes. */
export function verifyWebhook(secret: string, headers: Record<string, string | string[] | undefined>, body: string): boolean {
  const id = String(headers["webhook-id"] ?? "");
  const timestamp = String(headers["webhook-timestamp"] ?? "");
  if (!id || !/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = Buffer.from(createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64"));
  return String(headers["webhook-signature"] ?? "")
    .split(" ")
    .some((s) => {
      const [version, signature] = s.split(",");
      const given = Buffer.from(signature ?? "");
      return version === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
    });
}
// ---- README snippet: end ----

export type Received = { headers: IncomingHttpHeaders; body: string; json: Record<string, unknown>; at: number; verified: boolean | null };

export type Receiver = {
  url: string;
  port: number;
  received: Received[];
  /** Sets the secret the receiver verifies with (null: do not verify). */
  secret: string | null;
  /** The status to answer the nth request (0-based) with; 200 by default. A negative number: never answer. */
  respond: (n: number, r: Received) => number;
  close: () => Promise<void>;
};

export async function startReceiver(port = 0): Promise<Receiver> {
  const r: Receiver = { url: "", port: 0, received: [], secret: null, respond: () => 200, close: async () => {} };
  const hanging = new Set<import("node:http").ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {}
      const rec: Received = { headers: req.headers, body, json, at: Date.now(), verified: r.secret ? verifyWebhook(r.secret, req.headers, body) : null };
      const n = r.received.length;
      r.received.push(rec);
      const status = r.respond(n, rec);
      if (status < 0) {
        hanging.add(res);
        return;
      }
      res.writeHead(status, { "content-type": "text/plain" }).end(status >= 300 ? `scripted ${status}` : "ok");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  r.port = (server.address() as AddressInfo).port;
  r.url = `http://127.0.0.1:${r.port}/hook`;
  r.close = () =>
    new Promise<void>((resolve) => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return r;
}
