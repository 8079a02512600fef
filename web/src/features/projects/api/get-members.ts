import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import { projectKeys, type Members } from "./project-keys";

export async function getMembers(id: string, signal?: AbortSignal): Promise<Members> {
  return unwrap(await api.GET("/api/v1/projects/{project_id}/members", { params: { path: { project_id: id } }, signal }));
}

export const getMembersQueryOptions = (id: string) =>
  queryOptions({ queryKey: projectKeys.members(id), queryFn: ({ signal }) => getMembers(id, signal) });

/** A project's members (and, for its owners, the invitations that wait). */
export function useMembers(id: string, { enabled = true }: { enabled?: boolean } = {}) {
  return useQuery({ ...getMembersQueryOptions(id), enabled });
}
