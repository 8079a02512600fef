import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap, type User } from "../../../api/problem";
import type { components } from "../../../api/schema";
import type { MutationCallbacks } from "../../../lib/react-query";
import { userKeys } from "./get-me";

export type EmailChange = components["schemas"]["EmailChange"];

/** The password confirms it; a 409 means another account has that address. */
export async function changeEmail(body: EmailChange): Promise<User> {
  return unwrap(await api.POST("/api/v1/users/me/email", { body }));
}

export function useChangeEmail({ onSuccess, onError }: MutationCallbacks<User, EmailChange> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: changeEmail,
    onSuccess: (user, body) => {
      qc.setQueryData(userKeys.me(), user);
      onSuccess?.(user, body);
    },
    onError: (error, body) => onError?.(error, body),
  });
}
