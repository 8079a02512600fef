import { useMutation } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import type { MutationCallbacks } from "../../../lib/react-query";

/** Mails a new verification link to the account's address (earlier links stop working). */
export async function requestVerification(): Promise<void> {
  unwrap(await api.POST("/api/v1/users/me/verification", {}));
}

export function useRequestVerification({ onSuccess, onError }: MutationCallbacks<void, void> = {}) {
  return useMutation({
    mutationFn: requestVerification,
    onSuccess: () => onSuccess?.(undefined, undefined),
    onError: (error) => onError?.(error, undefined),
  });
}
