import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import type { MutationCallbacks } from "../../../lib/react-query";
import { projectKeys, type Members } from "./project-keys";

export interface CancelInvitationInput {
  id: string;
  invitationId: string;
}

export async function cancelInvitation({ id, invitationId }: CancelInvitationInput): Promise<void> {
  unwrap(
    await api.DELETE("/api/v1/projects/{project_id}/invitations/{invitation_id}", {
      params: { path: { project_id: id, invitation_id: invitationId } },
    }),
  );
}

/** Withdraws an invitation not yet taken up (owners). */
export function useCancelInvitation({ onSuccess, onError }: MutationCallbacks<void, CancelInvitationInput> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: cancelInvitation,
    onSuccess: (_r, input) => {
      qc.setQueryData<Members>(projectKeys.members(input.id), (m) =>
        m ? { ...m, invitations: m.invitations.filter((i) => i.id !== input.invitationId) } : m,
      );
      onSuccess?.(undefined, input);
    },
    onError: (error, input) => onError?.(error, input),
    onSettled: (_r, _e, { id }) => qc.invalidateQueries({ queryKey: projectKeys.members(id) }),
  });
}
