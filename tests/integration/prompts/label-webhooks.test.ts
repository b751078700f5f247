// Issue 20 §4: every label move is a prompt.label_moved event (from and to versions, who moved it),
// also a label set while saving a version, written in the save's transaction. A real app delivers
// it to a real receiver that verifies the Standard Webhooks signature with the README's snippet.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@/lib/auth/api-keys";
import { closeDb, db } from "@/lib/db";
import { startApp, type AppServer } from "../../support/app-server";
import { eventually } from "../../support/eventually";
import { startReceiver, verifyWebhook, type Receiver } from "../../support/webhook-receiver";

const run = Date.now().toString(36);
const root = { kind: "system", name: "test" } as const;
const ENV = { WEBHOOK_POLL_MS: "300", WEBHOOK_RETRY_BASE_MS: "300", WEBHOOK_RETRY_MAX_MS: "1000" };
const content = (t: string) => ({ type: "text", text: t, config: { model: `lw-model-${run}` } });

describe("prompt label webhooks", () => {
  let app: AppServer;
  let rx: Receiver;
  let admin: Record<string, string>;
  let prefix: string;
  let endpointId: string;

  const api = async (path: string, body: unknown, method = "POST") => {
    const r = await fetch(`${app.url}${path}`, { method, headers: { ...admin, "content-type": "application/json" }, body: JSON.stringify(body) });
    return { status: r.status, json: (await r.json()) as Record<string, unknown> };
  };
  const movesOf = (prompt: string) => rx.received.filter((r) => r.json.type === "prompt.label_moved" && (r.json.data as { prompt?: string }).prompt === prompt);

  beforeAll(async () => {
    rx = await startReceiver();
    const k = await createApiKey(root, { name: `lw-admin-${run}`, scopes: ["admin"] });
    admin = { authorization: `Bearer ${k.key}` };
    prefix = k.row.prefix;
    app = await startApp(ENV);
    const created = await api("/api/admin/webhooks", { url: rx.url, eventTypes: ["prompt.label_moved"], description: `lw-${run}` });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    endpointId = (created.json.endpoint as { id: string }).id;
    rx.secret = created.json.secret as string;
  }, 900_000);

  afterAll(async () => {
    await db.webhookEndpoint.deleteMany({ where: { id: endpointId } });
    await app?.stop();
    await rx?.close();
    await closeDb();
  });

  it("issue 20 §4 done-when: labels set while saving are prompt.label_moved events (from, to, who), signed; the receiver verifies the signature", async () => {
    const name = `lw-${run}`;
    expect((await api("/api/admin/prompts", { name, ...content("one"), labels: ["staging"] })).status).toBe(201);
    expect((await api(`/api/admin/prompts/${name}/versions`, { ...content("two"), commitMessage: "two", labels: ["staging", "production"] })).status).toBe(201);
    expect((await api(`/api/admin/prompts/${name}/labels/production`, { version: 1 }, "PUT")).status).toBe(200);
    const got = await eventually(async () => (movesOf(name).length >= 4 ? movesOf(name) : null), 20_000, "four label_moved deliveries");
    // `latest` moves on every save; prompt.version_created says so: no label_moved for it.
    const moves = got.map((r) => r.json.data as Record<string, unknown>).sort((x, y) => `${String(x.label)}${String(x.toVersion)}`.localeCompare(`${String(y.label)}${String(y.toVersion)}`));
    const by = `apikey:${prefix}`;
    expect(moves).toEqual([
      { prompt: name, label: "production", fromVersion: 2, toVersion: 1, movedBy: by },
      { prompt: name, label: "production", fromVersion: null, toVersion: 2, movedBy: by },
      { prompt: name, label: "staging", fromVersion: null, toVersion: 1, movedBy: by },
      { prompt: name, label: "staging", fromVersion: 1, toVersion: 2, movedBy: by },
    ]);
    for (const r of got) {
      expect(r.verified).toBe(true);
      expect(verifyWebhook(rx.secret!, r.headers, r.body.replace(name, `${name}x`))).toBe(false);
    }
  });
});
