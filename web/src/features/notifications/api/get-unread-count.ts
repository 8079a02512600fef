import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import { notificationKeys, type UnreadCount } from "./notification-cache";

/** How often the bell asks for its count while the tab is in front. */
export const UNREAD_POLL_MS = 30_000;

export async function getUnreadCount(signal?: AbortSignal): Promise<UnreadCount> {
  return unwrap(await api.GET("/api/v1/notifications/unread-count", { signal }));
}

export const getUnreadCountQueryOptions = () =>
  queryOptions({
    queryKey: notificationKeys.unread(),
    queryFn: ({ signal }) => getUnreadCount(signal),
    refetchInterval: UNREAD_POLL_MS,
    refetchOnWindowFocus: true,
    staleTime: 0,
  });

export function useUnreadCount() {
  return useQuery(getUnreadCountQueryOptions());
}
