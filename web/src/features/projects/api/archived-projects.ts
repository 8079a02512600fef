import { queryOptions, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import type { MutationCallbacks } from "../../../lib/react-query";
import { taskKeys } from "../../tasks/api/task-cache";
import { projectKeys, sortProjects, type Project } from "./project-keys";

export const archivedKey = () => [...projectKeys.all, "archived"] as const;

export async function getArchivedProjects(signal?: AbortSignal): Promise<Project[]> {
  return sortProjects(unwrap(await api.GET("/api/v1/projects", { params: { query: { archived: true } }, signal })).items);
}

/** The archived projects (restored or deleted from the sidebar's "Archived projects"). */
export function useArchivedProjects({ enabled = true }: { enabled?: boolean } = {}) {
  return useQuery({ ...queryOptions({ queryKey: archivedKey(), queryFn: ({ signal }) => getArchivedProjects(signal) }), enabled });
}

export async function deleteProject(id: string): Promise<void> {
  unwrap(await api.DELETE("/api/v1/projects/{project_id}", { params: { path: { project_id: id } } }));
}

/** Deletes a project and its tasks for good (owners). */
export function useDeleteProject({ onSuccess, onError }: MutationCallbacks<void, string> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: deleteProject,
    onSuccess: (_r, id) => {
      qc.setQueryData<Project[]>(archivedKey(), (list) => list?.filter((p) => p.id !== id));
      onSuccess?.(undefined, id);
    },
    onError: (error, id) => onError?.(error, id),
    onSettled: () =>
      Promise.all([
        qc.invalidateQueries({ queryKey: projectKeys.all }),
        qc.invalidateQueries({ queryKey: taskKeys.all }),
      ]),
  });
}
