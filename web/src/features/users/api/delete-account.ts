import { useMutation } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import type { MutationCallbacks } from "../../../lib/react-query";

/** The account and all its tasks, for good; the password confirms it. */
export async function deleteAccount(password: string): Promise<void> {
  unwrap(await api.DELETE("/api/v1/users/me", { body: { password } }));
}

/** The caller forgets the session on success (the server has ended it). */
export function useDeleteAccount({ onSuccess, onError }: MutationCallbacks<void, string> = {}) {
  return useMutation({
    mutationFn: deleteAccount,
    onSuccess: (_, password) => onSuccess?.(undefined, password),
    onError: (error, password) => onError?.(error, password),
  });
}
