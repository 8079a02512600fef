import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import type { MutationCallbacks } from "../../../lib/react-query";
import { projectKeys, type MemberAdd } from "./project-keys";

export interface AddMemberInput {
  id: string;
  body: MemberAdd;
}

/** "member": the address has a verified account and joined; "invited": the invitation waits. */
export type AddMemberResult = "member" | "invited";

export async function addMember({ id, body }: AddMemberInput): Promise<AddMemberResult> {
  const result = await api.POST("/api/v1/projects/{project_id}/members", {
    params: { path: { project_id: id } },
    body,
  });
  unwrap(result);
  return result.response.status === 202 ? "invited" : "member";
}

/** Shares a project with an address, with a role. */
export function useAddMember({ onSuccess, onError }: MutationCallbacks<AddMemberResult, AddMemberInput> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: addMember,
    onSuccess: (result, input) => onSuccess?.(result, input),
    onError: (error, input) => onError?.(error, input),
    onSettled: (_r, _e, { id }) => qc.invalidateQueries({ queryKey: projectKeys.members(id) }),
  });
}
