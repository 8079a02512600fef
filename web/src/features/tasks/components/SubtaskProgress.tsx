import type { Task } from "../../../api/problem";

/** "2/5": how many of a task's subtasks are done (nothing for a task without subtasks). */
export function SubtaskProgress({ done, total }: { done: number; total: number }) {
  if (!(total > 0)) return null;
  const all = done >= total;
  return (
    <span
      title={`${done} of ${total} subtasks done`}
      aria-label={`${done} of ${total} subtasks done`}
      data-subtask-progress
      className={`inline-flex shrink-0 items-center gap-1 rounded px-1.5 py-0.5 text-xs font-medium ${
        all
          ? "bg-emerald-100 text-emerald-900 dark:bg-emerald-950 dark:text-emerald-200"
          : "bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-300"
      }`}
    >
      <span aria-hidden="true">☑</span>
      {done}/{total}
    </span>
  );
}

/** The progress of a task as the lists have it. */
export function TaskProgress({ task }: { task: Task }) {
  return <SubtaskProgress done={task.subtasks_done} total={task.subtasks_total} />;
}
