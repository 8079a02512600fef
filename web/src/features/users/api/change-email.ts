import { useMutation } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import type { components } from "../../../api/schema";
import type { MutationCallbacks } from "../../../lib/react-query";

export type EmailChange = components["schemas"]["EmailChange"];
export type EmailChangeAccepted = components["schemas"]["EmailChangeAccepted"];

/**
 * Asks to move the account to a new address (the password confirms it). Nothing changes yet: a
 * link goes to the new address and a notice to the current one; the answer is the same whether
 * or not another account has the new address.
 */
export async function changeEmail(body: EmailChange): Promise<EmailChangeAccepted> {
  return unwrap(await api.POST("/api/v1/users/me/email", { body }));
}

export function useChangeEmail({ onSuccess, onError }: MutationCallbacks<EmailChangeAccepted, EmailChange> = {}) {
  return useMutation({
    mutationFn: changeEmail,
    onSuccess: (answer, body) => onSuccess?.(answer, body),
    onError: (error, body) => onError?.(error, body),
  });
}
