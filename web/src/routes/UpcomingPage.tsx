import { useMemo } from "react";
import { ErrorState, LoadingList } from "../components/States";
import { useClock } from "../lib/clock";
import { addDays, formatDay } from "../lib/dates";
import { useTasks } from "../features/tasks/api/get-tasks";
import { QuickAdd } from "../features/tasks/components/QuickAdd";
import { TaskGroup } from "../features/tasks/components/TaskGroup";
import { byDay, UPCOMING_DAYS, upcomingQuery } from "../features/tasks/views";

/** The next week from tomorrow, a section per day. */
export default function UpcomingPage() {
  const { zone, today, locale, ready } = useClock();
  const list = useTasks(upcomingQuery(today, zone), { enabled: ready });
  const tasks = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);
  const days = byDay(tasks, zone);
  const dates = Array.from({ length: UPCOMING_DAYS }, (_, i) => addDays(today, i + 1));

  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">Upcoming</h1>
      <div className="card">
        <QuickAdd label="Add an upcoming task" />
      </div>
      {list.isPending ? (
        <LoadingList label="Loading upcoming tasks" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : (
        <>
          {dates.map((day) => {
            const title = formatDay(day, today, locale);
            const due = days.get(day) ?? [];
            return due.length ? (
              <TaskGroup key={day} id={`day-${day}`} title={title} tasks={due} />
            ) : (
              <section key={day} aria-label={title} className="flex items-baseline gap-3 px-3 text-sm">
                <h2 className="font-semibold">{title}</h2>
                <p className="text-slate-600 dark:text-slate-400">Nothing due</p>
              </section>
            );
          })}
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
