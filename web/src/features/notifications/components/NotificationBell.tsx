import { useEffect, useId, useRef, useState, type KeyboardEvent } from "react";
import { useNavigate } from "react-router";
import { describeError } from "../../../api/problem";
import { useToast } from "../../../components/toast-context";
import { formatRelative } from "../../../lib/format";
import { useNotifications } from "../api/get-notifications";
import { useUnreadCount } from "../api/get-unread-count";
import { useMarkAllRead } from "../api/mark-all-read";
import { useMarkRead } from "../api/mark-read";
import type { NotificationItem } from "../api/notification-cache";

function bellLabel(unread: number | undefined): string {
  if (unread === undefined) return "Notifications";
  return unread === 0 ? "Notifications, none unread" : `Notifications, ${unread} unread`;
}

/**
 * The header's bell: the unread count (polled), and a disclosure listing the newest
 * notifications. Arrow keys move between them, Escape closes and gives focus back to the bell.
 */
export function NotificationBell() {
  const [open, setOpen] = useState(false);
  const unread = useUnreadCount();
  const count = unread.data?.unread;
  const wrapper = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const panelId = useId();

  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };

  // A click or focus anywhere else closes it.
  useEffect(() => {
    if (!open) return;
    const away = (event: Event) => {
      if (!wrapper.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("pointerdown", away);
    document.addEventListener("focusin", away);
    return () => {
      document.removeEventListener("pointerdown", away);
      document.removeEventListener("focusin", away);
    };
  }, [open]);

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    if (event.key === "Escape" && open) {
      event.preventDefault();
      event.stopPropagation();
      close(true);
      return;
    }
    if (!["ArrowDown", "ArrowUp", "Home", "End"].includes(event.key)) return;
    const items = [...(wrapper.current?.querySelectorAll<HTMLElement>("[data-notification]") ?? [])];
    if (!open || !items.length) return;
    event.preventDefault();
    const at = items.indexOf(document.activeElement as HTMLElement);
    const last = items.length - 1;
    const next =
      event.key === "Home"
        ? 0
        : event.key === "End"
          ? last
          : event.key === "ArrowDown"
            ? at < 0 || at === last ? 0 : at + 1
            : at <= 0 ? last : at - 1;
    items[next]?.focus();
  }

  return (
    <div ref={wrapper} className="sm:relative" onKeyDown={onKeyDown}>
      <button
        ref={button}
        type="button"
        className="btn-secondary relative"
        aria-label={bellLabel(count)}
        aria-expanded={open}
        aria-controls={open ? panelId : undefined}
        onClick={() => setOpen((o) => !o)}
      >
        <svg aria-hidden="true" viewBox="0 0 24 24" className="h-5 w-5" fill="none" stroke="currentColor" strokeWidth="2">
          <path d="M6 8a6 6 0 1 1 12 0c0 7 3 9 3 9H3s3-2 3-9" strokeLinecap="round" strokeLinejoin="round" />
          <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        {!!count && (
          <span
            aria-hidden="true"
            data-testid="unread-badge"
            className="absolute -right-1.5 -top-1.5 min-w-5 rounded-full bg-rose-700 px-1 text-center text-xs leading-5 font-semibold text-white"
          >
            {count > 99 ? "99+" : count}
          </span>
        )}
      </button>
      {open && <NotificationPanel id={panelId} onDone={() => close(false)} />}
    </div>
  );
}

function NotificationPanel({ id, onDone }: { id: string; onDone: () => void }) {
  const list = useNotifications();
  const { toast } = useToast();
  const navigate = useNavigate();
  const onError = (error: Error) => toast({ kind: "error", message: `Not marked as read. ${describeError(error)}` });
  const markRead = useMarkRead({ onError });
  const markAll = useMarkAllRead({ onError });
  const items = list.data?.items ?? [];
  const anyUnread = items.some((n) => n.read_at === null);
  const headingId = `${id}-heading`;

  function choose(notification: NotificationItem) {
    if (notification.read_at === null) markRead.mutate(notification);
    onDone();
    // The tasks screen searched for the task's title (the reminder's title is the task's).
    if (notification.task_id) void navigate(`/tasks?q=${encodeURIComponent(notification.title)}`);
  }

  return (
    <div
      id={id}
      className="absolute inset-x-2 top-full z-40 mt-2 rounded-lg border border-slate-200 bg-white shadow-lg sm:inset-x-auto sm:right-0 sm:w-96 dark:border-slate-700 dark:bg-slate-900"
    >
      <div className="flex items-center justify-between gap-2 border-b border-slate-200 px-4 py-2 dark:border-slate-700">
        <h2 id={headingId} className="text-sm font-semibold">
          Notifications
        </h2>
        <button
          type="button"
          className="btn-secondary text-sm aria-disabled:cursor-not-allowed aria-disabled:opacity-60"
          // Not `disabled`: the button keeps focus once everything is read.
          aria-disabled={!anyUnread || markAll.isPending}
          onClick={() => {
            if (anyUnread && !markAll.isPending) markAll.mutate();
          }}
        >
          Mark all read
        </button>
      </div>
      {list.isPending ? (
        <p role="status" className="px-4 py-6 text-center text-sm text-slate-600 dark:text-slate-400">
          Loading notifications…
        </p>
      ) : list.isError ? (
        <p role="alert" className="px-4 py-6 text-center text-sm text-rose-800 dark:text-rose-200">
          {describeError(list.error)}
        </p>
      ) : items.length === 0 ? (
        <p className="px-4 py-6 text-center text-sm text-slate-600 dark:text-slate-400">Nothing yet.</p>
      ) : (
        <ul aria-labelledby={headingId} className="max-h-96 divide-y divide-slate-200 overflow-y-auto dark:divide-slate-700">
          {items.map((n) => (
            <li key={n.id}>
              <button
                type="button"
                data-notification
                className="block w-full px-4 py-3 text-left text-sm hover:bg-slate-100 focus-visible:bg-slate-100 dark:hover:bg-slate-800 dark:focus-visible:bg-slate-800"
                onClick={() => choose(n)}
              >
                <span className="flex items-baseline justify-between gap-3">
                  <span className={n.read_at === null ? "font-semibold" : ""}>
                    {n.read_at === null && (
                      <span aria-hidden="true" className="mr-1.5 inline-block h-2 w-2 rounded-full bg-indigo-600" />
                    )}
                    {n.read_at === null && <span className="sr-only">Unread: </span>}
                    {n.title}
                  </span>
                  <time dateTime={n.created_at} className="shrink-0 text-xs text-slate-600 dark:text-slate-400">
                    {formatRelative(n.created_at)}
                  </time>
                </span>
                {n.body && <span className="mt-0.5 block text-slate-600 dark:text-slate-400">{n.body}</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
