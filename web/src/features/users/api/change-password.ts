import { useMutation } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import type { components } from "../../../api/schema";
import type { MutationCallbacks } from "../../../lib/react-query";

export type PasswordChange = components["schemas"]["PasswordChange"];

/** Every other session of the account ends; this one goes on. */
export async function changePassword(body: PasswordChange): Promise<void> {
  unwrap(await api.POST("/api/v1/users/me/password", { body }));
}

export function useChangePassword({ onSuccess, onError }: MutationCallbacks<void, PasswordChange> = {}) {
  return useMutation({
    mutationFn: changePassword,
    onSuccess: (_, body) => onSuccess?.(undefined, body),
    onError: (error, body) => onError?.(error, body),
  });
}
