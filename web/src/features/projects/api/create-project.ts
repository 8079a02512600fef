import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import type { MutationCallbacks } from "../../../lib/react-query";
import { projectKeys, sortProjects, type Project, type ProjectCreate } from "./project-keys";

export async function createProject(body: ProjectCreate): Promise<Project> {
  return unwrap(await api.POST("/api/v1/projects", { body }));
}

/** Not optimistic: the new project joins the cached list once the server made it. */
export function useCreateProject({ onSuccess, onError }: MutationCallbacks<Project, ProjectCreate> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: createProject,
    onSuccess: (project, body) => {
      qc.setQueryData<Project[]>(projectKeys.list(), (list) => (list ? sortProjects([...list, project]) : list));
      onSuccess?.(project, body);
    },
    onError: (error, body) => onError?.(error, body),
    onSettled: () => qc.invalidateQueries({ queryKey: projectKeys.list() }),
  });
}
