import type { Task } from "../../../api/problem";
import { TaskRow } from "./TaskRow";

/** A titled list of tasks (a day of Today or Upcoming). */
export function TaskGroup({ id, title, tasks }: { id: string; title: string; tasks: Task[] }) {
  return (
    <section aria-labelledby={id} className="card p-0">
      <h2 id={id} className="flex items-baseline gap-2 border-b border-slate-200 px-3 py-2 font-semibold dark:border-slate-800">
        {title}
        <span className="text-sm font-normal text-slate-600 dark:text-slate-400">{tasks.length}</span>
      </h2>
      <ul aria-label={title} className="divide-y divide-slate-200 dark:divide-slate-800">
        {tasks.map((task) => (
          <TaskRow key={task.id} task={task} />
        ))}
      </ul>
    </section>
  );
}
