import { describe, expect, it } from "vitest";
import { claimValues, emailDomainAllowed, mappedInstanceRole, parseList, parseRoleMap, workspaceGrants, workspaceRoles } from "@/lib/auth/sso-claims";
import { ConfigError, parseConfig } from "@/lib/config";

const valid = { DATABASE_URL: "postgresql://u:p@localhost:5432/db", AUTH_SECRET: "x".repeat(32), ENCRYPTION_KEY: "ab".repeat(32) };
const oidc = { OIDC_ISSUER: "https://idp.example.com/realms/acme", OIDC_CLIENT_ID: "promptgate", OIDC_CLIENT_SECRET: "s3cret-value" };

function issues(env: Record<string, string>): string[] {
  try {
    parseConfig({ ...valid, ...env });
    return [];
  } catch (e) {
    return (e as ConfigError).issues;
  }
}

describe("sso #18.2 claims", () => {
  it("sso #18.2: OIDC_ROLE_MAP maps claim values to instance roles; the strongest match wins, none gives the default", () => {
    const grants = parseRoleMap("promptgate-admins=admin, promptgate-editors=editor,cn=ops=viewer");
    expect(grants).toEqual([
      { claimValue: "promptgate-admins", role: "admin", workspace: null },
      { claimValue: "promptgate-editors", role: "editor", workspace: null },
      { claimValue: "cn=ops", role: "viewer", workspace: null },
    ]);
    expect(mappedInstanceRole(["promptgate-editors", "promptgate-admins"], grants, "viewer")).toBe("admin");
    expect(mappedInstanceRole(["promptgate-editors"], grants, "viewer")).toBe("editor");
    expect(mappedInstanceRole(["someone-else"], grants, "viewer")).toBe("viewer");
    expect(mappedInstanceRole([], grants, "editor")).toBe("editor");
  });

  it("sso #18.2: the workspace form value=role@slug is parsed for the workspaces hook, never as an instance role", () => {
    const grants = parseRoleMap("team-a=editor@team-a,admins=admin");
    expect(grants[0]).toEqual({ claimValue: "team-a", role: "editor", workspace: "team-a" });
    expect(mappedInstanceRole(["team-a"], grants, "viewer")).toBe("viewer");
    expect(workspaceGrants(["team-a", "admins"], grants)).toEqual([grants[0]]);
  });

  it("sso #18.2: a bad OIDC_ROLE_MAP entry is refused at start, naming the entry", () => {
    expect(() => parseRoleMap("admins=owner")).toThrow(/"admins=owner"/);
    expect(() => parseRoleMap("admins")).toThrow(/"admins"/);
    expect(issues({ ...oidc, OIDC_ROLE_MAP: "admins=root" }).join()).toMatch(/^OIDC_ROLE_MAP: .*"admins=root"/);
  });

  it("sso #18.2 gap: OIDC_ROLE_MAP accepts value=role@workspace-slug at start; the role and the slug's syntax are checked", () => {
    expect(issues({ ...oidc, OIDC_ROLE_MAP: "team-a-editors=editor@team-a, admins=admin, cn=ops=viewer@ops-2" })).toEqual([]);
    expect(parseRoleMap("team-a-editors=editor@team-a,cn=ops=viewer@ops-2")).toEqual([
      { claimValue: "team-a-editors", role: "editor", workspace: "team-a" },
      { claimValue: "cn=ops", role: "viewer", workspace: "ops-2" },
    ]);
    expect(issues({ ...oidc, OIDC_ROLE_MAP: "x=owner@team-a" }).join()).toMatch(/^OIDC_ROLE_MAP: .*"x=owner@team-a"/);
    expect(issues({ ...oidc, OIDC_ROLE_MAP: "x=editor@Team A" }).join()).toMatch(/^OIDC_ROLE_MAP: .*"x=editor@Team A"/);
    expect(issues({ ...oidc, OIDC_ROLE_MAP: "x=editor@team_a" }).join()).toMatch(/^OIDC_ROLE_MAP: .*"x=editor@team_a"/);
    expect(issues({ ...oidc, OIDC_ROLE_MAP: "x=editor@" }).join()).toMatch(/^OIDC_ROLE_MAP: .*"x=editor@"/);
    expect(issues({ ...oidc, OIDC_ROLE_MAP: "x=editor@a@b" }).join()).toMatch(/^OIDC_ROLE_MAP: .*"x=editor@a@b"/);
  });

  it("sso #18.2 gap: several claim values granting one workspace give the highest role there; instance entries are not workspace grants", () => {
    const grants = parseRoleMap("a-viewers=viewer@team-a,a-admins=admin@team-a,a-editors=editor@team-a,b=viewer@team-b,admins=admin");
    expect(workspaceRoles(["a-editors", "a-viewers", "b", "admins"], grants)).toEqual(new Map([["team-a", "editor"], ["team-b", "viewer"]]));
    expect(workspaceRoles(["a-viewers", "a-admins"], grants)).toEqual(new Map([["team-a", "admin"]]));
    expect(workspaceRoles(["nothing"], grants)).toEqual(new Map());
  });

  it("sso #18.2 gap: OIDC_DEFAULT_WORKSPACE is a workspace slug (unset: Default), checked at start", () => {
    expect(parseConfig({ ...valid, ...oidc }).OIDC_DEFAULT_WORKSPACE).toBeUndefined();
    expect(parseConfig({ ...valid, ...oidc, OIDC_DEFAULT_WORKSPACE: "team-a" }).OIDC_DEFAULT_WORKSPACE).toBe("team-a");
    expect(issues({ ...oidc, OIDC_DEFAULT_WORKSPACE: "Team A!" })).toEqual([expect.stringMatching(/^OIDC_DEFAULT_WORKSPACE: .*got "Team A!"/)]);
  });

  it("sso #18.2: claim values come from a string, an array, or a dotted path (Keycloak's realm_access.roles)", () => {
    expect(claimValues({ groups: ["a", 1, "b"] }, "groups")).toEqual(["a", "b"]);
    expect(claimValues({ role: "admins" }, "role")).toEqual(["admins"]);
    expect(claimValues({ realm_access: { roles: ["pg-admin"] } }, "realm_access.roles")).toEqual(["pg-admin"]);
    expect(claimValues({}, "groups")).toEqual([]);
  });

  it("sso #18.2: allowed domains are exact (no subdomain, no suffix trick), case-insensitive; empty allows any", () => {
    const allowed = parseList(" Acme.com, example.org ,");
    expect(allowed).toEqual(["acme.com", "example.org"]);
    expect(emailDomainAllowed("ann@ACME.com".toLowerCase(), allowed)).toBe(true);
    expect(emailDomainAllowed("ann@evilacme.com", allowed)).toBe(false);
    expect(emailDomainAllowed("ann@sub.acme.com", allowed)).toBe(false);
    expect(emailDomainAllowed("ann@acme.com.evil.test", allowed)).toBe(false);
    expect(emailDomainAllowed("anyone@anywhere.test", [])).toBe(true);
  });

  it("sso #18.2: OIDC_ALLOWED_DOMAINS refuses an entry that is not a domain (an address or @domain would never match)", () => {
    expect(issues({ ...oidc, OIDC_ALLOWED_DOMAINS: "acme.com,@acme.co.uk" })).toEqual([expect.stringMatching(/^OIDC_ALLOWED_DOMAINS: "@acme.co.uk" is not a domain/)]);
    expect(issues({ ...oidc, OIDC_ALLOWED_DOMAINS: "bob@acme.com" })).toHaveLength(1);
    expect(issues({ ...oidc, OIDC_ALLOWED_DOMAINS: "Acme.com, sub.acme.co.uk , acme.test" })).toEqual([]);
  });

  it("sso #18.2: a half OIDC configuration, or PASSWORD_LOGIN=false without SSO, is refused at start", () => {
    expect(issues({ OIDC_ISSUER: oidc.OIDC_ISSUER })).toEqual([
      "OIDC_CLIENT_ID: is required with OIDC_ISSUER",
      "OIDC_CLIENT_SECRET: is required with OIDC_ISSUER",
    ]);
    expect(issues({ PASSWORD_LOGIN: "false" })).toEqual([expect.stringMatching(/^PASSWORD_LOGIN: false needs single sign-on/)]);
    expect(issues({ ...oidc, PASSWORD_LOGIN: "false" })).toEqual([]);
    // The client secret is never echoed back.
    expect(issues({ ...oidc, OIDC_SCOPES: "email profile" })).toEqual(['OIDC_SCOPES: must include openid, got "email profile"']);
    const c = parseConfig({ ...valid, ...oidc });
    expect([c.OIDC_DEFAULT_ROLE, c.PASSWORD_LOGIN, c.PASSWORD_LOGIN_BREAK_GLASS, c.OIDC_DISPLAY_NAME]).toEqual(["viewer", true, true, "Single sign-on"]);
  });
});
