import type { Role } from "@/lib/core/types";

/** `instance`: shown to instance admins only (what the instance owns). */
export type NavItem = { href: string; label: string; minRole: Role; instance?: boolean };

// The console's areas, in the order the sidebar shows them.
export const navItems: NavItem[] = [
  { href: "/", label: "Overview", minRole: "viewer" },
  { href: "/prompts", label: "Prompts", minRole: "viewer" },
  { href: "/experiments", label: "Experiments", minRole: "viewer" },
  { href: "/evaluations", label: "Evaluations", minRole: "admin" },
  { href: "/accounts", label: "Accounts", minRole: "viewer" },
  { href: "/usage", label: "Usage", minRole: "viewer" },
  { href: "/keys", label: "API keys", minRole: "admin" },
  { href: "/quotas", label: "Quotas", minRole: "viewer" },
  { href: "/webhooks", label: "Webhooks", minRole: "admin" },
  { href: "/users", label: "Users", minRole: "admin", instance: true },
  { href: "/workspaces", label: "Workspaces", minRole: "admin", instance: true },
  { href: "/audit", label: "Audit log", minRole: "admin" },
];
