import { Link } from "react-router";
import type { TaskStats } from "../api/problem";
import { EmptyState, ErrorState, LoadingList, Skeleton } from "../components/States";
import { appLocale } from "../lib/dates";
import { PRIORITIES, PRIORITY_LABEL, STATUS_LABEL, STATUSES } from "../lib/format";
import { useStats } from "../features/tasks/api/get-stats";
import { useTasks } from "../features/tasks/api/get-tasks";
import { QuickAdd } from "../features/tasks/components/QuickAdd";
import { TaskCheckbox } from "../features/tasks/components/TaskCheckbox";
import { DueText } from "../features/tasks/components/TaskRow";

function Stat({ label, value, tone = "" }: { label: string; value: number; tone?: string }) {
  return (
    <div className="card">
      <p className="text-sm text-slate-600 dark:text-slate-400">{label}</p>
      <p className={`mt-1 text-2xl font-semibold ${tone}`}>{value}</p>
    </div>
  );
}

/** Completions per day as bars: hand-drawn SVG, with a table for screen readers. */
export function CompletionsChart({ days }: { days: TaskStats["completed_per_day"] }) {
  const max = Math.max(1, ...days.map((d) => d.count));
  const width = 280;
  const height = 120;
  const gap = 4;
  const bar = (width - gap * (days.length - 1)) / Math.max(1, days.length);
  // The days are the profile zone's (the server's); written in the app's one locale.
  const label = (iso: string) =>
    new Date(`${iso}T12:00:00Z`).toLocaleDateString(appLocale(), { month: "short", day: "numeric", timeZone: "UTC" });
  return (
    <figure>
      <svg viewBox={`0 0 ${width} ${height + 18}`} className="h-auto w-full" aria-hidden="true">
        {days.map((d, i) => {
          const h = Math.round((d.count / max) * (height - 4));
          const x = i * (bar + gap);
          return (
            <g key={d.date}>
              <rect
                x={x}
                y={height - h}
                width={bar}
                height={Math.max(h, 1)}
                rx={2}
                className={d.count ? "fill-indigo-600 dark:fill-indigo-400" : "fill-slate-200 dark:fill-slate-700"}
              >
                <title>{`${label(d.date)}: ${d.count}`}</title>
              </rect>
              {(i === 0 || i === days.length - 1) && (
                <text
                  x={i === 0 ? x : x + bar}
                  y={height + 14}
                  textAnchor={i === 0 ? "start" : "end"}
                  className="fill-slate-600 text-[10px] dark:fill-slate-400"
                >
                  {label(d.date)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
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
  if (list.isPending) return <LoadingList rows={3} label="Loading next tasks" />;
  if (list.isError) return <ErrorState error={list.error} onRetry={() => void list.refetch()} />;
  const items = (list.data.pages[0]?.items ?? []).filter((t) => t.due_at);
  if (!items.length) return <EmptyState title="Nothing due">Tasks with a due date show up here.</EmptyState>;
  return (
    <ul className="divide-y divide-slate-200 dark:divide-slate-800">
      {items.map((t) => (
        <li key={t.id} className="flex items-center gap-3 py-2 text-sm">
          <TaskCheckbox task={t} />
          <span className="min-w-0 flex-1 truncate">{t.title}</span>
          <span className="shrink-0 text-xs">
            <DueText task={t} />
          </span>
        </li>
      ))}
    </ul>
  );
}

export default function DashboardPage() {
  const stats = useStats();
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
              <Stat label="All tasks" value={stats.data.total} />
              <Stat label="Overdue" value={stats.data.overdue} tone={stats.data.overdue ? "text-rose-700 dark:text-rose-300" : ""} />
              <Stat label="Due today" value={stats.data.due_today} />
              <Stat label="Done" value={stats.data.by_status.done ?? 0} />
            </div>
            <div className="grid gap-3 md:grid-cols-2">
              <div className="card">
                <h2 className="mb-2 font-semibold">By status</h2>
                <ul className="space-y-1 text-sm">
                  {STATUSES.map((s) => (
                    <li key={s} className="flex justify-between">
                      <Link className="underline-offset-2 hover:underline" to={`/tasks?status=${s}`}>
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
                    <li key={p} className="flex justify-between">
                      <Link className="underline-offset-2 hover:underline" to={`/tasks?priority=${p}`}>
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
          {stats.data ? <CompletionsChart days={stats.data.completed_per_day} /> : <Skeleton className="h-32" />}
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
