import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import type { MutationCallbacks } from "../../../lib/react-query";
import { projectKeys, type Role } from "./project-keys";

export interface ChangeRoleInput {
  id: string;
  userId: string;
  role: Role;
}

export async function changeRole({ id, userId, role }: ChangeRoleInput): Promise<void> {
  unwrap(
    await api.PATCH("/api/v1/projects/{project_id}/members/{user_id}", {
      params: { path: { project_id: id, user_id: userId } },
      body: { role },
    }),
  );
}

/** Gives a member another role (owners; the last owner stays one). */
export function useChangeRole({ onSuccess, onError }: MutationCallbacks<void, ChangeRoleInput> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: changeRole,
    onSuccess: (_r, input) => onSuccess?.(undefined, input),
    onError: (error, input) => onError?.(error, input),
    onSettled: (_r, _e, { id }) =>
      Promise.all([
        qc.invalidateQueries({ queryKey: projectKeys.members(id) }),
        qc.invalidateQueries({ queryKey: projectKeys.list() }),
      ]),
  });
}
