// Calls a console server action over real HTTP against the production build,
// the way the browser (or a forged request) does: a POST to a page that
// registers the action, with the action's id from the build's
// server-reference manifest. The server's own checks are what answer.
import { readFileSync } from "node:fs";
import { join } from "node:path";

type Manifest = { node: Record<string, { workers: Record<string, unknown>; filename?: string; exportedName?: string }> };

export type ActionResult = { ok: true; data: unknown } | { ok: false; error: { code: string; message: string; param: string | null } };

let manifest: Manifest | null = null;

function pagePath(worker: string): string {
  // "app/(console)/experiments/new/page" → "/experiments/new"
  const p = worker.replace(/^app/, "").replace(/\/page$/, "").replace(/\/\([^)]+\)/g, "");
  return p === "" ? "/" : p;
}

/** `file` as in the repository (`app/(console)/experiments/actions.ts`), `name` the exported action. */
export async function callServerAction(baseUrl: string, cookie: string, file: string, name: string, args: unknown[]): Promise<ActionResult> {
  manifest ??= JSON.parse(readFileSync(join(process.env.PROMPTGATE_DIST_DIR || ".next", "server/server-reference-manifest.json"), "utf8")) as Manifest;
  const entry = Object.entries(manifest.node).find(([, e]) => e.filename === file && e.exportedName === name);
  if (!entry) throw new Error(`no page registers ${file}#${name}`);
  const pages = Object.keys(entry[1].workers).map(pagePath);
  // A dynamic page still runs the action; its own segment only has to look like an id.
  const page = pages.find((p) => !p.includes("[")) ?? pages[0]!.replace(/\[\w+\]/g, "00000000-0000-4000-8000-000000000000");
  const res = await fetch(new URL(page, baseUrl), {
    method: "POST",
    redirect: "manual",
    headers: { cookie, "next-action": entry[0], "content-type": "text/plain;charset=UTF-8", accept: "text/x-component", origin: baseUrl },
    body: JSON.stringify(args),
  });
  const text = await res.text();
  // The flight response carries the action's return value as one JSON row: `1:{"ok":…}`.
  for (const line of text.split("\n")) {
    const m = /^[0-9a-f]+:(\{.*\})$/.exec(line);
    if (!m) continue;
    const value = JSON.parse(m[1]!) as Partial<ActionResult>;
    if (typeof value.ok === "boolean") return value as ActionResult;
  }
  throw new Error(`${name}: no action result in a ${res.status} response: ${text.slice(0, 300)}`);
}
