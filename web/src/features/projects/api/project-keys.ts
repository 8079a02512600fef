import type { components } from "../../../api/schema";

export type Project = components["schemas"]["ProjectOut"];
export type ProjectCreate = components["schemas"]["ProjectCreate"];
export type ProjectUpdate = components["schemas"]["ProjectUpdate"];
export type Members = components["schemas"]["Members"];
export type MemberAdd = components["schemas"]["MemberAdd"];
export type Role = components["schemas"]["MemberOut"]["role"];

/** Query keys of the projects feature. */
export const projectKeys = {
  all: ["projects"] as const,
  list: () => ["projects", "list"] as const,
  members: (id: string) => ["projects", "members", id] as const,
};

/** Inbox first, then the user's own order. */
export function sortProjects(items: readonly Project[]): Project[] {
  return [...items].sort((a, b) => Number(b.is_inbox) - Number(a.is_inbox) || a.position - b.position);
}
