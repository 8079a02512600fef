import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import type { MutationCallbacks } from "../../../lib/react-query";
import {
  notificationKeys,
  restore,
  snapshot,
  type NotificationItem,
  type NotificationPage,
  type UnreadCount,
} from "./notification-cache";

export async function markRead(id: string): Promise<void> {
  unwrap(await api.POST("/api/v1/notifications/{notification_id}/read", { params: { path: { notification_id: id } } }));
}

/**
 * Optimistic: the notification shows as read and the count drops at once; an error puts both
 * back. Either way the two are asked for again afterwards.
 */
export function useMarkRead({ onSuccess, onError }: MutationCallbacks<void, NotificationItem> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (notification: NotificationItem) => markRead(notification.id),
    onMutate: async (notification) => {
      const previous = await snapshot(qc);
      const wasUnread =
        previous.list?.items.find((n) => n.id === notification.id)?.read_at === null ||
        (!previous.list && notification.read_at === null);
      const now = new Date().toISOString();
      if (previous.list) {
        qc.setQueryData<NotificationPage>(notificationKeys.list(), {
          ...previous.list,
          items: previous.list.items.map((n) => (n.id === notification.id ? { ...n, read_at: n.read_at ?? now } : n)),
        });
      }
      if (previous.unread && wasUnread) {
        qc.setQueryData<UnreadCount>(notificationKeys.unread(), { unread: Math.max(0, previous.unread.unread - 1) });
      }
      return previous;
    },
    onError: (error, notification, previous) => {
      restore(qc, previous);
      onError?.(error, notification);
    },
    onSuccess: (_, notification) => onSuccess?.(undefined, notification),
    onSettled: () => qc.invalidateQueries({ queryKey: notificationKeys.all }),
  });
}
