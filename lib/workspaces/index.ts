import "server-only";
// Workspaces, memberships and the header's switcher (README.md). Scoping itself
// lives in each domain: every query of team-owned rows filters by workspaceOf(principal).
export {
  listWorkspaces, workspacesOf, findWorkspace, createWorkspace, updateWorkspace, listMembers, setMember, removeMember, switchWorkspace,
} from "./store";
export { applySsoMemberships, workspaceIdsBySlug, strongerRole } from "./sso-memberships";
export * from "./schemas";
