import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { User } from "../../../api/problem";
import type { MutationCallbacks } from "../../../lib/react-query";
import type { Theme } from "../../../lib/theme";
import { userKeys } from "./get-me";
import { updateProfile } from "./update-profile";

/**
 * Optimistic: the cached profile takes the theme at once (the app applies the profile's theme
 * whenever it changes); an error puts the previous profile back, and with it the old theme.
 */
export function useUpdateTheme({ onSuccess, onError }: MutationCallbacks<User, Theme> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (theme: Theme) => updateProfile({ preferences: { theme } }),
    onMutate: async (theme) => {
      await qc.cancelQueries({ queryKey: userKeys.me() });
      const previous = qc.getQueryData<User>(userKeys.me());
      if (previous) qc.setQueryData<User>(userKeys.me(), { ...previous, preferences: { ...previous.preferences, theme } });
      return previous;
    },
    onError: (error, theme, previous) => {
      if (previous) qc.setQueryData(userKeys.me(), previous);
      onError?.(error, theme);
    },
    onSuccess: (user, theme) => {
      qc.setQueryData(userKeys.me(), user);
      onSuccess?.(user, theme);
    },
  });
}
