import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import { projectKeys, sortProjects, type Project } from "./project-keys";

export async function getProjects(signal?: AbortSignal): Promise<Project[]> {
  const page = unwrap(await api.GET("/api/v1/projects", { signal }));
  return sortProjects(page.items);
}

export const getProjectsQueryOptions = () =>
  queryOptions({ queryKey: projectKeys.list(), queryFn: ({ signal }) => getProjects(signal) });

/** The user's projects (not the archived ones), the Inbox first, with their open counts. */
export function useProjects() {
  return useQuery(getProjectsQueryOptions());
}
