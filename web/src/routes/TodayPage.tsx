import { useMemo } from "react";
import { EmptyState, ErrorState, LoadingList } from "../components/States";
import { useClock } from "../lib/clock";
import { formatDay } from "../lib/dates";
import { useTasks } from "../features/tasks/api/get-tasks";
import { QuickAdd } from "../features/tasks/components/QuickAdd";
import { TaskGroup } from "../features/tasks/components/TaskGroup";
import { byDay, todayQuery } from "../features/tasks/views";

/** Overdue and due today, in the profile's day. */
export default function TodayPage() {
  const { zone, today, locale, ready } = useClock();
  const list = useTasks(todayQuery(today, zone), { enabled: ready });
  const tasks = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);
  const days = byDay(tasks, zone);
  const dueToday = days.get(today) ?? [];
  const overdue = [...days].filter(([day]) => day < today).flatMap(([, t]) => t);
  const heading = new Intl.DateTimeFormat(locale, { weekday: "long", day: "numeric", month: "long", timeZone: zone }).format(
    new Date(),
  );

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-baseline gap-x-3">
        <h1 className="text-2xl font-semibold">Today</h1>
        <p className="text-sm text-slate-600 dark:text-slate-400">{heading}</p>
      </div>
      <div className="card">
        <QuickAdd defaultDay={today} label="Add a task for today" />
      </div>
      {list.isPending ? (
        <LoadingList label="Loading today's tasks" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : tasks.length === 0 ? (
        <EmptyState title="Nothing due today">Enjoy the day, or plan one with the line above.</EmptyState>
      ) : (
        <>
          {overdue.length > 0 && <TaskGroup id="group-overdue" title="Overdue" tasks={overdue} />}
          {dueToday.length > 0 && <TaskGroup id="group-today" title={formatDay(today, today, locale)} tasks={dueToday} />}
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
