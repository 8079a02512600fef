import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import type { MutationCallbacks } from "../../../lib/react-query";
import { projectKeys, sortProjects, type Project, type ProjectUpdate } from "./project-keys";

export interface UpdateProjectInput {
  id: string;
  patch: ProjectUpdate;
}

export async function updateProject({ id, patch }: UpdateProjectInput): Promise<Project> {
  return unwrap(await api.PATCH("/api/v1/projects/{project_id}", { params: { path: { project_id: id } }, body: patch }));
}

/** Rename, recolour, archive (an archived project leaves the list) or restore a project. */
export function useUpdateProject({ onSuccess, onError }: MutationCallbacks<Project, UpdateProjectInput> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: updateProject,
    onSuccess: (project, input) => {
      qc.setQueryData<Project[]>(projectKeys.list(), (list) =>
        list
          ? sortProjects(
              project.archived_at
                ? list.filter((p) => p.id !== project.id)
                : list.map((p) => (p.id === project.id ? project : p)),
            )
          : list,
      );
      onSuccess?.(project, input);
    },
    onError: (error, input) => onError?.(error, input),
    onSettled: () => qc.invalidateQueries({ queryKey: projectKeys.list() }),
  });
}
