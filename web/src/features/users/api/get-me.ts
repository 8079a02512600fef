import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap, type User } from "../../../api/problem";

export const userKeys = { me: () => ["me"] as const };

export async function getMe(signal?: AbortSignal): Promise<User> {
  return unwrap(await api.GET("/api/v1/users/me", { signal }));
}

export const getMeQueryOptions = () =>
  queryOptions({ queryKey: userKeys.me(), queryFn: ({ signal }) => getMe(signal), staleTime: 60_000 });

/** The signed-in user; `enabled` is false while there is no session. */
export function useMe({ enabled }: { enabled: boolean }) {
  return useQuery({ ...getMeQueryOptions(), enabled });
}
