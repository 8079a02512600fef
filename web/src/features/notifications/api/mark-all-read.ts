import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import type { MutationCallbacks } from "../../../lib/react-query";
import { notificationKeys, restore, snapshot, type NotificationPage, type UnreadCount } from "./notification-cache";

export async function markAllRead(): Promise<void> {
  unwrap(await api.POST("/api/v1/notifications/read-all"));
}

/** Optimistic like {@link useMarkRead}: all read and a count of 0 at once, put back on error. */
export function useMarkAllRead({ onSuccess, onError }: MutationCallbacks<void, void> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: markAllRead,
    onMutate: async () => {
      const previous = await snapshot(qc);
      const now = new Date().toISOString();
      if (previous.list) {
        qc.setQueryData<NotificationPage>(notificationKeys.list(), {
          ...previous.list,
          items: previous.list.items.map((n) => ({ ...n, read_at: n.read_at ?? now })),
        });
      }
      qc.setQueryData<UnreadCount>(notificationKeys.unread(), { unread: 0 });
      return previous;
    },
    onError: (error, _, previous) => {
      restore(qc, previous);
      onError?.(error, undefined);
    },
    onSuccess: () => onSuccess?.(undefined, undefined),
    onSettled: () => qc.invalidateQueries({ queryKey: notificationKeys.all }),
  });
}
