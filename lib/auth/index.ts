import "server-only";
export { auth, signIn, signOut, handlers, clientIp } from "./next-auth";
export { signInOptions, ssoSettings, SSO_PROVIDER_ID, type SsoSettings } from "./sso";
export { currentUser, requireRole, authedAction, type ActionResult } from "./session";
export { hasRole, roles, type Role } from "@/lib/core";
export { actorOf, isAdminPrincipal, type Principal, type SessionUser, type KeyIdentity } from "@/lib/core";
export {
  createApiKey, revokeApiKey, setKeyCacheEnabled, listApiKeys, getApiKey, verifyApiKey, insertApiKey, keyStatus, forgetKey, generateKey,
} from "./api-keys";
export { createApiKeyInput, apiKeyScope } from "./api-key-schemas";
export {
  verifyRequestSignature, signRequest, signingPayload, enableSigning, disableSigning, signingEnabled, forgetSigningSecrets,
  SIGNATURE_HEADER, TIMESTAMP_HEADER, SIGNATURE_WINDOW_SECONDS,
} from "./signing";
export { exchangeToken, verifyAccessToken, isAccessToken, tokenRequest, ACCESS_TOKEN_TTL_SECONDS, type TokenResponse } from "./service-tokens";
