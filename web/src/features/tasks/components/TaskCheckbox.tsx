import type { Task } from "../../../api/problem";
import { useToggleDone } from "../task-actions";

/**
 * The round checkbox that completes a task in one click (and reopens a done one), with undo.
 * Its hit area is 44 px square on a phone.
 */
export function TaskCheckbox({ task }: { task: Task }) {
  const toggle = useToggleDone();
  const done = task.status === "done";
  return (
    <label className="relative -m-3 inline-flex shrink-0 cursor-pointer items-center justify-center p-3 sm:-m-2 sm:p-2">
      <input
        type="checkbox"
        className="peer size-5 cursor-pointer appearance-none rounded-full border-2 border-slate-500 bg-white transition-colors checked:border-indigo-700 checked:bg-indigo-700 hover:border-indigo-600 dark:border-slate-400 dark:bg-slate-900 dark:checked:border-indigo-400 dark:checked:bg-indigo-400"
        checked={done}
        onChange={() => toggle(task)}
        aria-label={`Complete “${task.title}”`}
      />
      <svg
        viewBox="0 0 20 20"
        aria-hidden="true"
        className="pointer-events-none absolute size-3 fill-none stroke-white stroke-[3] opacity-0 peer-checked:opacity-100 dark:stroke-slate-950"
      >
        <path d="M4 10.5l4 4 8-9" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
    </label>
  );
}
