import { Link } from "react-router";
import type { TaskStats } from "../api/problem";
import { EmptyState, ErrorState, LoadingList, Skeleton } from "../components/States";
import { useClock } from "../lib/clock";
import { hasDue } from "../lib/due";
import { axisMax } from "../lib/chart";
import { listOf } from "../features/tasks/list-of";
import { PRIORITIES, PRIORITY_LABEL, STATUS_LABEL, STATUSES } from "../lib/format";
import { useStats } from "../features/tasks/api/get-stats";
import { useTasks } from "../features/tasks/api/get-tasks";
import { QuickAdd } from "../features/tasks/components/QuickAdd";
import { TaskCheckbox } from "../features/tasks/components/TaskCheckbox";
import { DueText } from "../features/tasks/components/TaskRow";

/** A count that opens the list it counts. */
function Stat({ label, value, to, tone = "" }: { label: string; value: number; to: string; tone?: string }) {
  return (
    <Link to={to} className="card block hover:border-indigo-400 dark:hover:border-indigo-500">
      <span className="block text-sm text-slate-600 dark:text-slate-400">{label}</span>
      <span className={`mt-1 block text-2xl font-semibold ${tone}`}>{value}</span>
    </Link>
  );
}

/**
 * Completions per day as bars, drawn in HTML so that the values, the axis and the dates are text
 * of the page's own size at any width; a table for screen readers; an empty state when nothing
 * was completed.
 */
export function CompletionsChart({ days, locale }: { days: TaskStats["completed_per_day"]; locale: string }) {
  // The days are the profile zone's (the server's); written in the app's one locale.
  const label = (iso: string) =>
    new Date(`${iso}T12:00:00Z`).toLocaleDateString(locale, { month: "short", day: "numeric", timeZone: "UTC" });
  const total = days.reduce((sum, d) => sum + d.count, 0);
  if (!total) {
    return (
      <EmptyState title="Nothing completed in the last 14 days">Tasks you complete show up here, a bar a day.</EmptyState>
    );
  }
  const top = axisMax(Math.max(...days.map((d) => d.count)));
  const first = days[0];
  const last = days[days.length - 1];
  return (
    <figure data-chart="completions" className="text-xs text-slate-600 dark:text-slate-400">
      <div aria-hidden="true" className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-2">
        {/* The axis: its top value and zero, beside the plot. */}
        <div className="flex h-32 flex-col justify-between pt-4 text-right tabular-nums" data-axis="y">
          <span className="-translate-y-1/2">{top}</span>
          <span className="translate-y-1/2">0</span>
        </div>
        <div className="flex h-32 items-end gap-0.5 border-b border-l border-slate-300 pt-4 sm:gap-1 dark:border-slate-600">
          {days.map((d) => (
            <div key={d.date} className="flex h-full min-w-0 flex-1 flex-col items-center justify-end" title={`${label(d.date)}: ${d.count}`}>
              {d.count > 0 && (
                <span data-value className="leading-4 tabular-nums text-slate-800 dark:text-slate-200">
                  {d.count}
                </span>
              )}
              <div
                className={`w-full rounded-t-sm ${d.count ? "bg-indigo-600 dark:bg-indigo-400" : ""}`}
                style={{ height: `${(d.count / top) * 100}%` }}
              />
            </div>
          ))}
        </div>
        <span />
        <div className="mt-1 flex justify-between gap-2" data-axis="x">
          {first && <span>{label(first.date)}</span>}
          {last && last !== first && <span>{label(last.date)}</span>}
        </div>
      </div>
      <figcaption className="sr-only">
        <table>
          <caption>Tasks completed per day, last 14 days</caption>
          <tbody>
            {days.map((d) => (
              <tr key={d.date}>
                <th scope="row">{label(d.date)}</th>
                <td>{d.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </figcaption>
    </figure>
  );
}

function NextDue() {
  const list = useTasks({ status: ["todo", "in_progress"], sort: "due_at", limit: 5 });
  const { today, zone } = useClock();
  if (list.isPending) return <LoadingList rows={3} label="Loading next tasks" />;
  if (list.isError) return <ErrorState error={list.error} onRetry={() => void list.refetch()} />;
  const items = (list.data.pages[0]?.items ?? []).filter(hasDue);
  if (!items.length) return <EmptyState title="Nothing due">Tasks with a due date show up here.</EmptyState>;
  return (
    <ul className="divide-y divide-slate-200 dark:divide-slate-800">
      {items.map((t) => {
        const where = listOf(t, today, zone);
        return (
          <li key={t.id} className="flex items-center gap-3 py-2 text-sm">
            <TaskCheckbox task={t} />
            <Link
              to={where.to}
              aria-description={`In ${where.name}`}
              className="-my-3 min-w-0 flex-1 truncate py-3 underline-offset-2 hover:underline sm:my-0 sm:py-0"
            >
              {t.title}
            </Link>
            <span className="shrink-0 text-xs">
              <DueText task={t} />
            </span>
          </li>
        );
      })}
    </ul>
  );
}

export default function DashboardPage() {
  const stats = useStats();
  const { locale } = useClock();
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">Dashboard</h1>
      <section aria-labelledby="quick-add-title" className="card">
        <h2 id="quick-add-title" className="mb-3 font-semibold">
          Quick add
        </h2>
        <QuickAdd />
      </section>
      <section aria-label="Counts">
        {stats.isPending ? (
          <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
            {Array.from({ length: 4 }, (_, i) => (
              <Skeleton key={i} className="h-20" />
            ))}
          </div>
        ) : stats.isError ? (
          <ErrorState error={stats.error} onRetry={() => void stats.refetch()} />
        ) : (
          <div className="space-y-3">
            <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
              <Stat label="All tasks" value={stats.data.total} to="/tasks" />
              <Stat
                label="Overdue"
                value={stats.data.overdue}
                to="/tasks?overdue=1&sort=due_at"
                tone={stats.data.overdue ? "text-rose-700 dark:text-rose-300" : ""}
              />
              <Stat label="Due today" value={stats.data.due_today} to="/today" />
              <Stat label="Done" value={stats.data.by_status.done ?? 0} to="/tasks?status=done" />
            </div>
            <div className="grid gap-3 md:grid-cols-2">
              <div className="card">
                <h2 className="mb-2 font-semibold">By status</h2>
                <ul className="space-y-1 text-sm">
                  {STATUSES.map((s) => (
                    <li key={s} className="flex items-center justify-between">
                      <Link className="flex min-h-11 flex-1 items-center underline-offset-2 hover:underline sm:min-h-0" to={`/tasks?status=${s}`}>
                        {STATUS_LABEL[s]}
                      </Link>
                      <span>{stats.data.by_status[s] ?? 0}</span>
                    </li>
                  ))}
                </ul>
              </div>
              <div className="card">
                <h2 className="mb-2 font-semibold">By priority</h2>
                <ul className="space-y-1 text-sm">
                  {PRIORITIES.map((p) => (
                    <li key={p} className="flex items-center justify-between">
                      <Link className="flex min-h-11 flex-1 items-center underline-offset-2 hover:underline sm:min-h-0" to={`/tasks?priority=${p}`}>
                        {PRIORITY_LABEL[p]}
                      </Link>
                      <span>{stats.data.by_priority[p] ?? 0}</span>
                    </li>
                  ))}
                </ul>
              </div>
            </div>
          </div>
        )}
      </section>
      <div className="grid gap-6 md:grid-cols-2">
        <section aria-labelledby="chart-title" className="card">
          <h2 id="chart-title" className="mb-3 font-semibold">
            Completed, last 14 days
          </h2>
          {stats.data ? <CompletionsChart days={stats.data.completed_per_day} locale={locale} /> : <Skeleton className="h-32" />}
        </section>
        <section aria-labelledby="next-title" className="card">
          <h2 id="next-title" className="mb-3 font-semibold">
            Next due
          </h2>
          <NextDue />
        </section>
      </div>
    </div>
  );
}
