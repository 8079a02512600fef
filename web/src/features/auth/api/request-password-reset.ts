import { useMutation } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import type { MutationCallbacks } from "../../../lib/react-query";

/**
 * Asks for a link to choose a new password. The answer is the same whether or not an account
 * has the address (the server's sentence, shown as it is); 429 when asked too often.
 */
export async function requestPasswordReset(email: string): Promise<string> {
  return unwrap(await api.POST("/api/v1/auth/password-reset", { body: { email } })).detail;
}

export function useRequestPasswordReset({ onSuccess, onError }: MutationCallbacks<string, string> = {}) {
  return useMutation({
    mutationFn: requestPasswordReset,
    onSuccess: (detail, email) => onSuccess?.(detail, email),
    onError: (error, email) => onError?.(error, email),
  });
}
