import { useMemo, useState } from "react";
import { describeError } from "../api/problem";
import { EmptyState, ErrorState, LoadingList } from "../components/States";
import { useToast } from "../components/toast-context";
import { useTrash } from "../features/tasks/api/get-trash";
import { useDeleteForever, useRestoreTasks } from "../features/tasks/api/restore-tasks";
import type { TrashedTask } from "../features/tasks/api/trash-cache";
import { useClock } from "../lib/clock";
import { dayOf, formatDay } from "../lib/dates";

/** Deleted tasks, restorable for 30 days; then the server deletes them for good. */
export default function TrashPage() {
  const list = useTrash();
  const tasks = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);

  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-2xl font-semibold">Trash</h1>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Deleted tasks stay here for 30 days, then they are deleted for good.
        </p>
      </div>
      {list.isPending ? (
        <LoadingList label="Loading the trash" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : tasks.length === 0 ? (
        <EmptyState title="The trash is empty">Deleted tasks show up here.</EmptyState>
      ) : (
        <>
          <ul aria-label="Deleted tasks" className="divide-y divide-slate-200 rounded-lg border border-slate-200 dark:divide-slate-800 dark:border-slate-800">
            {tasks.map((task) => (
              <TrashRow key={task.id} task={task} />
            ))}
          </ul>
          {list.hasNextPage && (
            <button type="button" className="btn-secondary" onClick={() => void list.fetchNextPage()}>
              Load more
            </button>
          )}
        </>
      )}
    </div>
  );
}

function TrashRow({ task }: { task: TrashedTask }) {
  const { zone, today, locale } = useClock();
  const { toast } = useToast();
  const [confirming, setConfirming] = useState(false);
  const restore = useRestoreTasks({
    onSuccess: () => toast({ kind: "success", message: `“${task.title}” restored` }),
    onError: (error) => toast({ kind: "error", message: `Could not restore: ${describeError(error)}` }),
  });
  const forever = useDeleteForever({
    onSuccess: () => toast({ message: `“${task.title}” deleted for good` }),
    onError: (error) => toast({ kind: "error", message: `Could not delete: ${describeError(error)}` }),
  });
  const deleted = formatDay(dayOf(task.deleted_at, zone), today, locale);
  const purged = formatDay(dayOf(task.purge_at, zone), today, locale);
  const busy = restore.isPending || forever.isPending;

  return (
    <li className="flex flex-wrap items-center gap-x-4 gap-y-2 p-3">
      <div className="min-w-0 flex-1">
        <p className="truncate font-medium">{task.title}</p>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Deleted {deleted}; deleted for good {purged}
        </p>
      </div>
      {confirming ? (
        <div role="group" aria-label={`Delete “${task.title}” forever?`} className="flex items-center gap-2">
          <span className="text-sm">Delete forever?</span>
          <button type="button" className="btn-secondary" onClick={() => setConfirming(false)} disabled={busy}>
            Cancel
          </button>
          <button type="button" className="btn-danger" onClick={() => forever.mutate(task.id)} disabled={busy}>
            Delete
          </button>
        </div>
      ) : (
        <div className="flex items-center gap-2">
          <button
            type="button"
            className="btn-secondary"
            onClick={() => restore.mutate([task.id])}
            disabled={busy}
            aria-label={`Restore “${task.title}”`}
          >
            Restore
          </button>
          <button
            type="button"
            className="btn-secondary"
            onClick={() => setConfirming(true)}
            disabled={busy}
            aria-label={`Delete “${task.title}” forever`}
          >
            Delete forever
          </button>
        </div>
      )}
    </li>
  );
}
