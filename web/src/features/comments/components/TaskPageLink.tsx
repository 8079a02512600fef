import { Link } from "react-router";
import type { Task } from "../../../api/problem";

/** A row's or card's way to the task's page, with its comment count when it has comments. */
export function TaskPageLink({ task }: { task: Task }) {
  const n = task.comment_count;
  const label = `Open the page of “${task.title}”${n ? ` (${n} comment${n === 1 ? "" : "s"})` : ""}`;
  return (
    <Link
      to={`/tasks/${task.id}`}
      aria-label={label}
      title={n ? `${n} comment${n === 1 ? "" : "s"}` : "Open its page"}
      className="-my-2.5 inline-flex min-h-11 min-w-11 shrink-0 items-center justify-center gap-1 rounded px-1 text-xs sm:my-0 sm:min-h-6 sm:min-w-0 text-slate-600 hover:bg-slate-100 hover:text-slate-900 dark:text-slate-400 dark:hover:bg-slate-800 dark:hover:text-slate-100"
      data-comment-count={n}
    >
      <svg aria-hidden="true" viewBox="0 0 20 20" className="size-4" fill="currentColor">
        <path d="M3 4.5A2.5 2.5 0 0 1 5.5 2h9A2.5 2.5 0 0 1 17 4.5v7a2.5 2.5 0 0 1-2.5 2.5H9l-4 3.5V14h.5-1A1.5 1.5 0 0 1 3 12.5v-8Zm2.5-1A1 1 0 0 0 4.5 4.5v8h2v2.2L8.4 12.5h6.1a1 1 0 0 0 1-1v-7a1 1 0 0 0-1-1h-9Z" />
      </svg>
      {n > 0 && <span>{n}</span>}
    </Link>
  );
}
