import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import type { MutationCallbacks } from "../../../lib/react-query";
import { projectKeys } from "./project-keys";

export interface RemoveMemberInput {
  id: string;
  userId: string;
}

export async function removeMember({ id, userId }: RemoveMemberInput): Promise<void> {
  unwrap(
    await api.DELETE("/api/v1/projects/{project_id}/members/{user_id}", {
      params: { path: { project_id: id, user_id: userId } },
    }),
  );
}

/** Removes a member (owners), or leaves the project (oneself: it then leaves the list). */
export function useRemoveMember({ onSuccess, onError }: MutationCallbacks<void, RemoveMemberInput> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: removeMember,
    onSuccess: (_r, input) => onSuccess?.(undefined, input),
    onError: (error, input) => onError?.(error, input),
    onSettled: (_r, _e, { id }) =>
      Promise.all([
        qc.invalidateQueries({ queryKey: projectKeys.members(id) }),
        qc.invalidateQueries({ queryKey: projectKeys.list() }),
      ]),
  });
}
