import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import { notificationKeys, type NotificationPage } from "./notification-cache";

/** The bell lists this many of the newest. */
export const LATEST = 20;

export async function getNotifications(signal?: AbortSignal): Promise<NotificationPage> {
  return unwrap(await api.GET("/api/v1/notifications", { params: { query: { limit: LATEST } }, signal }));
}

/** The newest notifications, read or not; fetched afresh whenever the bell opens. */
export const getNotificationsQueryOptions = () =>
  queryOptions({
    queryKey: notificationKeys.list(),
    queryFn: ({ signal }) => getNotifications(signal),
    staleTime: 0,
  });

export function useNotifications() {
  return useQuery(getNotificationsQueryOptions());
}
