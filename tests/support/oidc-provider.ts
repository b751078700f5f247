// A real OpenID Connect provider (the npm `oidc-provider`, the certified
// implementation many IdPs build on) on loopback, for the SSO tests. Nothing of
// next-auth is mocked: the app discovers this issuer, redirects the browser to
// it, and exchanges the code over HTTP like it would with Keycloak or Okta.
//
// The only thing replaced is the IdP's own login screen: a one-field form
// ("Username") that signs in whichever account the test registered under that
// name, and grants the client what it asked for (no consent screen). Tests
// change an account's claims between sign-ins (a user moved to another group).
import http from "node:http";
import { randomBytes } from "node:crypto";
import Provider, { type Configuration } from "oidc-provider";
import { freePort } from "./app-server";

export type IdpAccount = { email: string; name?: string; emailVerified?: boolean; groups?: string[] };

export type TestIdp = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Registers or replaces the account signed in as `username` (its claims on the next sign-in). */
  setAccount(username: string, account: IdpAccount): void;
  /** The env the app needs to use this issuer. */
  appEnv(extra?: Record<string, string>): Record<string, string>;
  stop(): Promise<void>;
};

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid: string, error?: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test IdP sign-in</title></head><body>
<h1>Test identity provider</h1>
${error ? `<p role="alert">${escape(error)}</p>` : ""}
<form method="post" action="/interaction/${escape(uid)}/login" aria-label="IdP sign-in">
<label for="login">Username</label> <input id="login" name="login" autocomplete="off" required>
<button type="submit">Continue</button>
</form></body></html>`;
}

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(parts).toString("utf8"));
}

/**
 * Starts the issuer on a free loopback port with one confidential client whose
 * redirect URI is `${appUrl}/api/auth/callback/oidc` (Auth.js's callback for the provider id "oidc"), so
 * the app's port is chosen first (startApp's `port` option). Use `http://localhost:<port>`: Next reports any
 * loopback address as localhost, and Auth.js builds the redirect URI from what Next reports.
 */
export async function startTestIdp(appUrl: string): Promise<TestIdp> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = `promptgate-${randomBytes(3).toString("hex")}`;
  const clientSecret = randomBytes(24).toString("base64url");
  const accounts = new Map<string, IdpAccount>();

  const configuration: Configuration = {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [`${appUrl}/api/auth/callback/oidc`],
        post_logout_redirect_uris: [`${appUrl}/login`],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    cookies: { keys: [randomBytes(32).toString("hex")] },
    scopes: ["openid", "email", "profile", "groups"],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"], groups: ["groups"] },
    // Auth.js reads the user's claims from the ID token (it never calls userinfo for `type: "oidc"`), as
    // Keycloak, Okta, Entra ID and Google put them there; oidc-provider's strict default keeps them out.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, sub) => {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        claims: () => ({
          sub,
          email: account.email,
          email_verified: account.emailVerified ?? true,
          name: account.name ?? sub,
          ...(account.groups ? { groups: account.groups } : {}),
        }),
      };
    },
  };
  const provider = new Provider(issuer, configuration);
  const callback = provider.callback();

  const server = http.createServer((req, res) => {
    const match = /^\/interaction\/([^/?]+)(\/login)?/.exec(req.url ?? "");
    if (!match) return void callback(req, res);
    void (async () => {
      try {
        const details = await provider.interactionDetails(req, res);
        if (!match[2]) {
          res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(loginPage(details.uid));
          return;
        }
        const username = (await readForm(req)).get("login")?.trim() ?? "";
        if (!accounts.has(username)) {
          res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(loginPage(details.uid, `No account "${username}"`));
          return;
        }
        const grant = new provider.Grant({ accountId: username, clientId: details.params.client_id as string });
        grant.addOIDCScope(String(details.params.scope ?? "openid"));
        const grantId = await grant.save();
        await provider.interactionFinished(req, res, { login: { accountId: username }, consent: { grantId } }, { mergeWithLastSubmission: false });
      } catch (err) {
        res.writeHead(500, { "content-type": "text/plain" }).end(String(err));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));

  return {
    issuer,
    clientId,
    clientSecret,
    setAccount: (username, account) => void accounts.set(username, account),
    appEnv: (extra = {}) => ({ OIDC_ISSUER: issuer, OIDC_CLIENT_ID: clientId, OIDC_CLIENT_SECRET: clientSecret, AUTH_URL: appUrl, ...extra }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
