import "server-only";
import { createHash, createHmac, hkdfSync, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { db, onInvalidate, publishInvalidation } from "@/lib/db";
import { AppError } from "@/lib/core";
import { config } from "@/lib/config";
import { logger } from "@/lib/observability";
import { keyIdentity, verifyApiKey, type KeyCheck } from "./api-keys";
import type { KeyIdentity } from "@/lib/core";

// Service tokens: an API key is exchanged (POST /api/auth/token) for a
// 15-minute access token (a JWT, HS256, signed with a key derived from the
// instance's AUTH_SECRET) and a refresh token. A refresh token works once: it
// is rotated on use, and presenting a used one again (a stolen copy, or the
// legitimate client after a thief) revokes the whole family it belongs to, so
// every token descended from that exchange stops working.

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;
const ISSUER = "promptgate";

export const tokenRequest = z.discriminatedUnion("grant_type", [
  z.object({ grant_type: z.literal("api_key"), api_key: z.string().min(1).max(200).optional() }),
  z.object({ grant_type: z.literal("refresh_token"), refresh_token: z.string().min(1).max(200) }),
]);
export type TokenRequest = z.output<typeof tokenRequest>;

export type TokenResponse = {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
};

let signingKey: Buffer | undefined;
function instanceKey(): Buffer {
  signingKey ??= Buffer.from(hkdfSync("sha256", config().AUTH_SECRET, "promptgate", "service-access-token-v1", 32));
  return signingKey;
}

const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
const hash = (s: string) => createHash("sha256").update(s).digest("hex");

type Claims = { iss: string; sub: string; fid: string; jti: string; iat: number; exp: number; typ: "access" };

function signJwt(claims: Claims): string {
  const head = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}`;
  return `${head}.${createHmac("sha256", instanceKey()).update(head).digest("base64url")}`;
}

/** Access tokens are JWTs; API keys start with `pgk_` and never contain a dot. */
export function isAccessToken(token: string): boolean {
  return token.startsWith("eyJ") && token.split(".").length === 3;
}

function readJwt(token: string): Claims | null {
  const parts = token.split(".");
  if (parts.length !== 3 || token.length > 2000) return null;
  const expected = createHmac("sha256", instanceKey()).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2]!, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8")) as { alg?: string };
    if (header.alg !== "HS256") return null;
    const c = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as Partial<Claims>;
    if (c.iss !== ISSUER || c.typ !== "access" || typeof c.sub !== "string" || typeof c.fid !== "string" || typeof c.exp !== "number") return null;
    return c as Claims;
  } catch {
    return null;
  }
}

// --- verification on the hot path: one cached lookup per family ---------------

type FamilyEntry = { identity: KeyIdentity | null; revoked: boolean; at: number };
const families = new Map<string, FamilyEntry>();
let listening = false;

async function family(fid: string, now: number): Promise<FamilyEntry> {
  if (!listening) {
    listening = true;
    onInvalidate("servicetokens", (id) => (id && id !== "*" ? families.delete(id) : families.clear()));
    onInvalidate("apikeys", () => families.clear());
    onInvalidate("workspaces", () => families.clear());
  }
  let e = families.get(fid);
  if (!e || now - e.at > config().API_KEY_CACHE_TTL_MS) {
    const f = await db.serviceTokenFamily.findUnique({ where: { id: fid } });
    const key = f ? await db.apiKey.findUnique({ where: { id: f.apiKeyId } }) : null;
    const workspace = key ? await db.workspace.findUnique({ where: { id: key.workspaceId }, select: { allowedModels: true } }) : null;
    e = {
      identity: key ? keyIdentity({ ...key, cacheEnabled: false, workspaceAllowedModels: workspace?.allowedModels ?? [] }) : null,
      revoked: !f || f.revokedAt !== null || !key || key.revokedAt !== null,
      at: now,
    };
    families.set(fid, e);
  }
  return e;
}

/** Same contract as verifyApiKey: the gateway accepts either wherever it accepts a key. */
export async function verifyAccessToken(token: string, now = Date.now()): Promise<KeyCheck> {
  const c = readJwt(token);
  if (!c) return { ok: false, reason: "unknown" };
  if (c.exp * 1000 <= now) return { ok: false, reason: "expired" };
  const f = await family(c.fid, now);
  if (!f.identity || f.identity.id !== c.sub) return { ok: false, reason: "unknown" };
  if (f.revoked) return { ok: false, reason: "revoked" };
  if (f.identity.expiresAt && f.identity.expiresAt.getTime() <= now) return { ok: false, reason: "expired" };
  return { ok: true, principal: { kind: "apiKey", key: f.identity } };
}

// --- issuing ------------------------------------------------------------------

function issue(apiKeyId: string, fid: string, now: number) {
  const iat = Math.floor(now / 1000);
  const access = signJwt({ iss: ISSUER, sub: apiKeyId, fid, jti: randomUUID(), iat, exp: iat + ACCESS_TOKEN_TTL_SECONDS, typ: "access" });
  const refresh = `pgr_${randomBytes(32).toString("base64url")}`;
  return { access, refresh, refreshExpiresAt: new Date(now + REFRESH_TOKEN_TTL_SECONDS * 1000) };
}

const response = (t: ReturnType<typeof issue>): TokenResponse => ({
  access_token: t.access,
  token_type: "Bearer",
  expires_in: ACCESS_TOKEN_TTL_SECONDS,
  refresh_token: t.refresh,
  refresh_expires_in: REFRESH_TOKEN_TTL_SECONDS,
});

/** POST /api/auth/token: `api_key` (Bearer header or body) starts a family; `refresh_token` rotates within it. */
export async function exchangeToken(input: TokenRequest, bearer: string | null, now = Date.now()): Promise<TokenResponse> {
  if (input.grant_type === "api_key") {
    const key = input.api_key ?? bearer;
    if (!key) throw new AppError("unauthorized", "Send the API key as 'Authorization: Bearer <key>' or in 'api_key'");
    if (isAccessToken(key)) throw new AppError("unauthorized", "An access token cannot be exchanged; use the refresh token");
    const check = await verifyApiKey(key, now);
    if (!check.ok || check.principal.kind !== "apiKey") {
      throw new AppError("unauthorized", check.ok ? "Not an API key" : { unknown: "Incorrect API key provided", revoked: "This API key has been revoked", expired: "This API key has expired" }[check.reason]);
    }
    const apiKeyId = check.principal.key.id;
    const fam = await db.serviceTokenFamily.create({ data: { apiKeyId }, select: { id: true } });
    const t = issue(apiKeyId, fam.id, now);
    await db.refreshToken.create({ data: { familyId: fam.id, hash: hash(t.refresh), expiresAt: t.refreshExpiresAt } });
    return response(t);
  }

  const presented = hash(input.refresh_token);
  const outcome = await db.$transaction(async (tx) => {
    // The row lock serialises two concurrent uses of one token: exactly one rotates, the other is a reuse.
    const rows = await tx.$queryRaw<{ id: string; familyId: string; usedAt: Date | null; expiresAt: Date }[]>`
      SELECT "id", "familyId", "usedAt", "expiresAt" FROM "RefreshToken" WHERE "hash" = ${presented} FOR UPDATE`;
    const row = rows[0];
    if (!row) return { error: "The refresh token is not valid" } as const;
    const fam = await tx.serviceTokenFamily.findUnique({ where: { id: row.familyId } });
    if (!fam || fam.revokedAt) return { error: "This token family has been revoked; exchange the API key again" } as const;
    if (row.usedAt) {
      await tx.serviceTokenFamily.update({ where: { id: fam.id }, data: { revokedAt: new Date(now), revokedReason: "refresh token reuse" } });
      return { error: "This refresh token was already used; every token from this exchange is now revoked", revoked: fam.id } as const;
    }
    if (row.expiresAt.getTime() <= now) return { error: "The refresh token has expired; exchange the API key again" } as const;
    const key = await tx.apiKey.findUnique({ where: { id: fam.apiKeyId } });
    if (!key || key.revokedAt || (key.expiresAt && key.expiresAt.getTime() <= now)) {
      await tx.serviceTokenFamily.update({ where: { id: fam.id }, data: { revokedAt: new Date(now), revokedReason: "api key no longer active" } });
      return { error: "The API key behind this token is no longer active", revoked: fam.id } as const;
    }
    await tx.refreshToken.update({ where: { id: row.id }, data: { usedAt: new Date(now) } });
    const t = issue(key.id, fam.id, now);
    await tx.refreshToken.create({ data: { familyId: fam.id, hash: hash(t.refresh), expiresAt: t.refreshExpiresAt } });
    return { tokens: t } as const;
  });
  if ("revoked" in outcome && outcome.revoked) {
    families.delete(outcome.revoked);
    logger.warn({ familyId: outcome.revoked }, "service token family revoked");
    await publishInvalidation("servicetokens", outcome.revoked).catch(() => {});
  }
  // Committed before answering: a reuse must revoke even though the caller gets an error.
  if ("error" in outcome) throw new AppError("unauthorized", outcome.error!);
  return response(outcome.tokens);
}
