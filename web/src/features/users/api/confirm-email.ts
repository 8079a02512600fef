import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import type { components } from "../../../api/schema";
import type { MutationCallbacks } from "../../../lib/react-query";
import { userKeys } from "./get-me";

export type EmailConfirmed = components["schemas"]["EmailConfirmed"];

/** Opens an emailed link: verifies the address, or moves the account to the new one. */
export async function confirmEmail(token: string): Promise<EmailConfirmed> {
  return unwrap(await api.POST("/api/v1/auth/email/confirm", { body: { token } }));
}

export function useConfirmEmail({ onSuccess, onError }: MutationCallbacks<EmailConfirmed, string> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: confirmEmail,
    onSuccess: (done, token) => {
      // A signed-in tab shows the new state at once (the link works signed out too).
      void qc.invalidateQueries({ queryKey: userKeys.me() });
      onSuccess?.(done, token);
    },
    onError: (error, token) => onError?.(error, token),
  });
}
