import { useId, useMemo } from "react";
import { ErrorState, LoadingList } from "../../../components/States";
import { useClock } from "../../../lib/clock";
import { formatFull } from "../../../lib/dates";
import { formatRelative } from "../../../lib/format";
import { useTaskHistory } from "../api/get-task-history";
import { describeChange, type Names } from "../history-text";

/** Who changed what of a task, and when: newest first. */
export function History({ taskId, names }: { taskId: string; names: Names }) {
  const list = useTaskHistory(taskId);
  const { zone, locale } = useClock();
  const entries = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);
  const headingId = useId();
  return (
    <section aria-labelledby={headingId} className="space-y-3">
      <h2 id={headingId} className="text-lg font-semibold">
        History
      </h2>
      {list.isPending ? (
        <LoadingList rows={2} label="Loading the history" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : entries.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">No changes since the task was made.</p>
      ) : (
        <ol aria-label="Changes" className="space-y-1 text-sm">
          {entries.map((entry) => (
            <li key={entry.id} className="flex flex-wrap gap-x-2">
              <span>{describeChange(entry, names, zone, locale)}</span>
              <time dateTime={entry.created_at} title={formatFull(entry.created_at, zone, locale)} className="text-slate-600 dark:text-slate-400">
                {formatRelative(entry.created_at)}
              </time>
            </li>
          ))}
        </ol>
      )}
      {list.hasNextPage && (
        <button type="button" className="btn-secondary" onClick={() => void list.fetchNextPage()}>
          Show older changes
        </button>
      )}
    </section>
  );
}
