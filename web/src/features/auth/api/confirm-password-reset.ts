import { useMutation } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import type { components } from "../../../api/schema";
import { useAuth } from "../../../auth/auth-context";
import type { MutationCallbacks } from "../../../lib/react-query";

export type PasswordResetConfirm = components["schemas"]["PasswordResetConfirm"];

/**
 * Sets the new password with the emailed token. Like logging in, the answer is an access token
 * (and the refresh cookie): every other session of the account has ended, this one starts.
 */
export async function confirmPasswordReset(body: PasswordResetConfirm): Promise<string> {
  return unwrap(await api.POST("/api/v1/auth/password-reset/confirm", { body })).access_token;
}

/** Through the auth provider, so the session starts the way a login starts it. */
export function useConfirmPasswordReset({
  onSuccess,
  onError,
}: MutationCallbacks<void, PasswordResetConfirm> = {}) {
  const { resetPassword } = useAuth();
  return useMutation({
    mutationFn: (body: PasswordResetConfirm) => resetPassword(body.token, body.new_password),
    onSuccess: (_, body) => onSuccess?.(undefined, body),
    onError: (error, body) => onError?.(error, body),
  });
}
