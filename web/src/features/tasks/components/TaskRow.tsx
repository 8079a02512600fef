import type { CSSProperties, ReactNode, Ref } from "react";
import { AssigneeBadge } from "../../projects/components/AssigneeBadge";
import { TASK_DRAG_TYPE } from "../drag";
import type { Task } from "../../../api/problem";
import { useClock } from "../../../lib/clock";
import { formatTaskDue, formatTaskDueFull, hasDue, isTaskOverdue } from "../../../lib/due";
import { PRIORITY_CLASS, PRIORITY_LABEL } from "../../../lib/format";
import { useTaskDialogs } from "../task-actions";
import { TaskCheckbox } from "./TaskCheckbox";
import { TaskPageLink } from "../../comments/components/TaskPageLink";
import { TaskMenu } from "./TaskMenu";
import { TaskProgress } from "./SubtaskProgress";
import { RepeatIcon } from "./RepeatIcon";

/**
 * When and whether late: "Tomorrow 09:00", "Overdue · Yesterday 17:00", in the profile's zone;
 * a date-only task without a time: "Friday".
 */
export function DueText({ task }: { task: Task }) {
  const clock = useClock();
  const when = task.due_date ?? task.due_at;
  if (!when) return null;
  const overdue = isTaskOverdue(task, clock.today);
  return (
    <time
      dateTime={when}
      title={formatTaskDueFull(task, clock)}
      className={overdue ? "font-medium text-rose-700 dark:text-rose-300" : "text-slate-600 dark:text-slate-400"}
    >
      {overdue ? "Overdue · " : ""}
      {formatTaskDue(task, clock)}
    </time>
  );
}

export interface Selection {
  selected: boolean;
  onSelect: (on: boolean) => void;
}

/**
 * A task in a list: one line on a laptop, at most two on a phone. The round checkbox completes
 * it; in Select mode a square box selects it instead. Status and delete are in the row menu.
 */
export function TaskRow({
  task,
  selection,
  ref,
  style,
  handle,
}: {
  task: Task;
  selection?: Selection | undefined;
  /** A row of a manual-order list: the sortable item's node, its moving style, its drag handle. */
  ref?: Ref<HTMLLIElement>;
  style?: CSSProperties;
  handle?: ReactNode;
}) {
  const { openEditor } = useTaskDialogs();
  const done = task.status === "done";
  return (
    <li
      ref={ref}
      style={style}
      className="flex items-center gap-3 px-3 py-2"
      data-task-row={task.id}
      // Dragged onto a project in the sidebar, it moves there (rows of a manual order drag by their handle).
      draggable={handle ? undefined : true}
      onDragStart={
        handle
          ? undefined
          : (e) => {
              e.dataTransfer.setData(TASK_DRAG_TYPE, task.id);
              e.dataTransfer.effectAllowed = "move";
            }
      }
    >
      {handle}
      {selection ? (
        <label className="-m-3 flex shrink-0 cursor-pointer p-3 sm:-m-2 sm:p-2">
          <input
            type="checkbox"
            className="size-5"
            checked={selection.selected}
            onChange={(e) => selection.onSelect(e.target.checked)}
            aria-label={`Select “${task.title}”`}
          />
        </label>
      ) : (
        <TaskCheckbox task={task} />
      )}
      <div className="min-w-0 flex-1 sm:flex sm:items-center sm:gap-3">
        <button
          type="button"
          onClick={() => openEditor(task)}
          className={`-my-2.5 block min-h-6 max-w-full truncate py-2.5 text-left font-medium hover:underline sm:my-0 sm:min-w-0 sm:flex-1 sm:py-0 ${
            done ? "text-slate-500 line-through dark:text-slate-400" : ""
          }`}
        >
          {task.title}
        </button>
        {/* One line under the title on a phone: the due date first, the tags clipped at the edge. */}
        <div className="mt-0.5 flex min-w-0 flex-nowrap items-center gap-x-2 overflow-hidden whitespace-nowrap text-xs sm:mt-0 sm:shrink-0">
          {hasDue(task) && (
            <span className="shrink-0 sm:order-last">
              <DueText task={task} />
            </span>
          )}
          {task.recurrence && (
            <span className="shrink-0 sm:order-last">
              <RepeatIcon rule={task.recurrence} />
            </span>
          )}
          <TaskProgress task={task} />
          <AssigneeBadge task={task} />
          <span className={`shrink-0 rounded px-1.5 py-0.5 font-medium sm:order-2 ${PRIORITY_CLASS[task.priority]}`}>
            {PRIORITY_LABEL[task.priority]}
          </span>
          {task.tags.slice(0, 3).map((tag) => (
            <span key={tag} className="shrink-0 rounded bg-slate-100 px-1.5 py-0.5 text-slate-700 dark:bg-slate-800 dark:text-slate-300">
              #{tag}
            </span>
          ))}
          {task.tags.length > 3 && <span className="text-slate-600 dark:text-slate-400">+{task.tags.length - 3}</span>}
        </div>
      </div>
      <TaskPageLink task={task} />
      <TaskMenu task={task} />
    </li>
  );
}
