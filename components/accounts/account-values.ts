// What the accounts UI knows about an account (never the secret, only its last
// four characters), and the conversions between the form's text fields and the
// API's shapes. Pure and client-safe.
import type { ProviderKind } from "@/lib/providers/schemas";

export type AccountView = {
  id: string;
  name: string;
  provider: ProviderKind;
  baseUrl: string | null;
  secretLast4: string | null;
  /** A base URL or provider change cleared the key: not routed until one (or "no key") is saved. */
  secretCleared: boolean;
  models: string[];
  aliases: Record<string, string>;
  settings: Record<string, unknown>;
  enabled: boolean;
  weight: number;
  priority: number;
  firstByteTimeoutMs: number;
  idleTimeoutMs: number;
  rpmLimit: number | null;
  tpmLimit: number | null;
  draining: boolean;
  probeMode: "off" | "models" | "completion";
  probeIntervalSec: number;
  probeModel: string | null;
  modelOverrides: Record<string, { weight?: number; priority?: number }>;
};

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** One `public=upstream` per line; blank lines are ignored. */
export function parseAliases(text: string): Parsed<Record<string, string>> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const eq = line.indexOf("=");
    const from = eq < 0 ? "" : line.slice(0, eq).trim();
    const to = eq < 0 ? "" : line.slice(eq + 1).trim();
    if (!from || !to) return { ok: false, message: `Line ${i + 1}: expected public=upstream, e.g. fast=gpt-4o-mini` };
    if (from in out) return { ok: false, message: `Line ${i + 1}: '${from}' is already aliased above` };
    out[from] = to;
  }
  return { ok: true, value: out };
}

export function formatAliases(aliases: Record<string, string>): string {
  return Object.entries(aliases)
    .map(([from, to]) => `${from}=${to}`)
    .join("\n");
}

/** Empty means `{}`; anything else must be a JSON object. */
export function parseSettings(text: string): Parsed<Record<string, unknown>> {
  if (!text.trim()) return { ok: true, value: {} };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { ok: false, message: `Not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) return { ok: false, message: 'Must be a JSON object, e.g. {"apiVersion": "2024-10-21"}' };
  return { ok: true, value: v as Record<string, unknown> };
}

export function formatSettings(settings: Record<string, unknown>): string {
  return Object.keys(settings).length ? JSON.stringify(settings, null, 2) : "";
}

/** An integer field; empty gives undefined so the server's default applies. */
export function parseInteger(text: string, label: string): Parsed<number | undefined> {
  const t = text.trim();
  if (!t) return { ok: true, value: undefined };
  const n = Number(t);
  if (!Number.isInteger(n)) return { ok: false, message: `${label} must be a whole number` };
  return { ok: true, value: n };
}

export const maskedKey = (last4: string | null) => (last4 ? `••••${last4}` : null);

export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
