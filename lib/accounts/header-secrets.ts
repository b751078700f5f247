import "server-only";
import { AppError } from "@/lib/core";
import { isMaskedSecret, SECRET_MASK } from "./schemas";
import { decryptSecret, encryptSecret } from "@/lib/secrets";

// settings.headers (extra headers sent upstream) often carry credentials: an
// API gateway's token, an org id, a proxy's auth. Their values are treated like
// the API key: stored as encryptSecret ciphertexts, decrypted only where a call
// is built (openSettings), shown masked, and never written to the audit log.
//
// Legacy rows saved before values were encrypted hold plain text: a value
// without the "v1:" prefix is read as plain text, re-encrypted on the account's
// next save, and sealed at start-up by sealLegacyHeaderValues (store.ts).

type Settings = Record<string, unknown>;
type Headers = Record<string, string>;

const ENCRYPTED = "v1:";

export function headersOf(settings: unknown): Headers {
  const h = (settings as Settings | null | undefined)?.headers;
  if (!h || typeof h !== "object" || Array.isArray(h)) return {};
  return Object.fromEntries(Object.entries(h).filter((e): e is [string, string] => typeof e[1] === "string"));
}

const withHeaders = (settings: unknown, headers: Headers | undefined): Settings => {
  const { headers: _old, ...rest } = (settings ?? {}) as Settings;
  return headers === undefined ? rest : { ...rest, headers };
};

function plain(stored: string): string {
  return stored.startsWith(ENCRYPTED) ? decryptSecret(stored) : stored;
}

const seal = (value: string) => (value.startsWith(ENCRYPTED) ? value : encryptSecret(value));

/** `••••` plus the last four characters when the value is long enough that they give nothing away. */
function mask(stored: string): string {
  try {
    const v = plain(stored);
    return v.length >= 12 ? `${SECRET_MASK}${v.slice(-4)}` : SECRET_MASK;
  } catch {
    return SECRET_MASK;
  }
}

/** The settings as the console and the API show them: header values masked. */
export function maskedSettings(settings: unknown): Settings {
  const h = headersOf(settings);
  if (!(settings as Settings | null)?.headers) return withHeaders(settings, undefined);
  return withHeaders(settings, Object.fromEntries(Object.entries(h).map(([k, v]) => [k, mask(v)])));
}

/** The settings as an audit entry records them: header names only. */
export function auditedSettings(settings: unknown): Settings {
  if (!(settings as Settings | null)?.headers) return withHeaders(settings, undefined);
  return withHeaders(settings, Object.fromEntries(Object.keys(headersOf(settings)).map((k) => [k, "[secret]"])));
}

/** The settings a call is built from: header values decrypted. Throws when one cannot be decrypted. */
export function openSettings(settings: unknown): Settings {
  if (!(settings as Settings | null)?.headers) return withHeaders(settings, undefined);
  return withHeaders(settings, Object.fromEntries(Object.entries(headersOf(settings)).map(([k, v]) => [k, plain(v)])));
}

/** The header values of opened settings, for scrubbing them out of messages. */
export const headerValues = (settings: Settings): string[] => Object.values(headersOf(settings));

/**
 * The settings to store from what a client sent. A new value is encrypted. A
 * masked value (the console sends back what it was shown) stands for the
 * stored value of the same header (names compare case-insensitively), but only
 * when `keepStored`: after a base URL or provider change nothing stored
 * follows the account, so a masked value is dropped. A masked value with no
 * stored value behind it is refused.
 */
export function sealSettings(incoming: Settings, stored: unknown, keepStored: boolean): Settings {
  if (incoming.headers === undefined) return incoming;
  const old = new Map(Object.entries(headersOf(stored)).map(([k, v]) => [k.toLowerCase(), v]));
  const out: Headers = {};
  for (const [name, value] of Object.entries(headersOf(incoming))) {
    if (!isMaskedSecret(value)) {
      out[name] = encryptSecret(value);
      continue;
    }
    const kept = old.get(name.toLowerCase());
    if (kept === undefined) {
      throw new AppError("validation_error", `Invalid value for 'settings.headers.${name}': enter the value (${SECRET_MASK}… only stands for a value already stored)`, {
        param: `settings.headers.${name}`,
      });
    }
    if (keepStored) out[name] = seal(kept);
  }
  return { ...incoming, headers: out };
}

/** Stored settings with no header left (an empty `headers` where there were some): what a re-pointed account keeps. */
export function dropHeaderValues(stored: unknown): Settings {
  return (stored as Settings | null)?.headers ? withHeaders(stored, {}) : withHeaders(stored, undefined);
}

/** Stored settings with every legacy plain-text header value encrypted, or null when there is none. */
export function sealedLegacy(stored: unknown): Settings | null {
  const h = headersOf(stored);
  if (Object.values(h).every((v) => v.startsWith(ENCRYPTED))) return null;
  return withHeaders(stored, Object.fromEntries(Object.entries(h).map(([k, v]) => [k, seal(v)])));
}

/** Stored settings with every header value re-encrypted under `newKey` (key rotation); plain text is sealed too. */
export function reencryptedSettings(stored: unknown, keys: string[], newKey: string): Settings | null {
  const h = headersOf(stored);
  if (Object.keys(h).length === 0) return null;
  const reseal = (v: string) => encryptSecret(v.startsWith(ENCRYPTED) ? decryptSecret(v, keys) : v, newKey);
  return withHeaders(stored, Object.fromEntries(Object.entries(h).map(([k, v]) => [k, reseal(v)])));
}
