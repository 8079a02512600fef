import type { QueryClient } from "@tanstack/react-query";
import type { components } from "../../../api/schema";

export type NotificationItem = components["schemas"]["NotificationOut"];
export type NotificationPage = components["schemas"]["NotificationPage"];
export type UnreadCount = components["schemas"]["UnreadCount"];

export const notificationKeys = {
  all: ["notifications"] as const,
  list: () => [...notificationKeys.all, "list"] as const,
  unread: () => [...notificationKeys.all, "unread-count"] as const,
};

/** What the optimistic updates change, to put back when the server says no. */
export interface NotificationSnapshot {
  list: NotificationPage | undefined;
  unread: UnreadCount | undefined;
}

export async function snapshot(qc: QueryClient): Promise<NotificationSnapshot> {
  await qc.cancelQueries({ queryKey: notificationKeys.all });
  return {
    list: qc.getQueryData<NotificationPage>(notificationKeys.list()),
    unread: qc.getQueryData<UnreadCount>(notificationKeys.unread()),
  };
}

export function restore(qc: QueryClient, previous: NotificationSnapshot | undefined): void {
  if (!previous) return;
  qc.setQueryData(notificationKeys.list(), previous.list);
  qc.setQueryData(notificationKeys.unread(), previous.unread);
}
