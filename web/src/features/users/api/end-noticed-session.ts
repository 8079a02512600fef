import { useMutation } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import type { MutationCallbacks } from "../../../lib/react-query";

/** The link of a new-device notice: that device's session ends (once). */
export async function endNoticedSession(token: string): Promise<void> {
  unwrap(await api.POST("/api/v1/auth/sessions/end", { body: { token } }));
}

export function useEndNoticedSession({ onSuccess, onError }: MutationCallbacks<void, string> = {}) {
  return useMutation({
    mutationFn: endNoticedSession,
    onSuccess: (_, token) => onSuccess?.(undefined, token),
    onError: (error, token) => onError?.(error, token),
  });
}
