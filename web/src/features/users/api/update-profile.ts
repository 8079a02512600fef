import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap, type User } from "../../../api/problem";
import type { components } from "../../../api/schema";
import type { MutationCallbacks } from "../../../lib/react-query";
import { userKeys } from "./get-me";

export type ProfileUpdate = components["schemas"]["ProfileUpdate"];

export async function updateProfile(body: ProfileUpdate): Promise<User> {
  return unwrap(await api.PATCH("/api/v1/users/me", { body }));
}

/** Name and time zone; the profile the server answers with replaces the cached one. */
export function useUpdateProfile({ onSuccess, onError }: MutationCallbacks<User, ProfileUpdate> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: updateProfile,
    onSuccess: (user, body) => {
      qc.setQueryData(userKeys.me(), user);
      onSuccess?.(user, body);
    },
    onError: (error, body) => onError?.(error, body),
  });
}
