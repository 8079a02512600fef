import { useQueryClient } from "@tanstack/react-query";
import { TASK_DRAG_TYPE } from "../features/tasks/drag";
import { useCallback, useEffect, useRef, useState, type DragEvent, type KeyboardEvent } from "react";
import type { Status, Task } from "../api/problem";
import { EmptyState, ErrorState, LoadingList } from "../components/States";
import { Dialog } from "../components/Dialog";
import { PRIORITY_CLASS, PRIORITY_LABEL, STATUS_LABEL, STATUSES } from "../lib/format";
import { useClock } from "../lib/clock";
import { isTaskOverdue } from "../lib/due";
import { useTasks } from "../features/tasks/api/get-tasks";
import { findTask } from "../features/tasks/api/task-cache";
import { TaskCheckbox } from "../features/tasks/components/TaskCheckbox";
import { DueText } from "../features/tasks/components/TaskRow";
import { TaskProgress } from "../features/tasks/components/SubtaskProgress";
import { useChangeTask, useTaskDialogs } from "../features/tasks/task-actions";
import { TaskPageLink } from "../features/comments/components/TaskPageLink";

const DRAG_TYPE = TASK_DRAG_TYPE;

interface CardProps {
  task: Task;
  onKeyMove: (task: Task, delta: number) => void;
  /** Opens the "Move to…" choice of columns (the way to move a card on a phone). */
  onMoveTo: (task: Task) => void;
  /** True once for the card a keyboard move asked to keep focused (it mounts in its new column). */
  claimFocus: (id: string) => boolean;
}

function Card({ task, onKeyMove, onMoveTo, claimFocus }: CardProps) {
  const { openEditor } = useTaskDialogs();
  const { today } = useClock();
  const overdue = isTaskOverdue(task, today);
  const node = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (claimFocus(task.id)) node.current?.focus();
  }, [claimFocus, task.id]);
  return (
    <li
      draggable
      onDragStart={(e) => {
        e.dataTransfer.setData(DRAG_TYPE, task.id);
        e.dataTransfer.setData("text/plain", task.id);
        e.dataTransfer.effectAllowed = "move";
      }}
      data-overdue={overdue || undefined}
      className={`flex cursor-grab flex-wrap items-start gap-2 rounded-md border border-slate-200 bg-white p-3 text-sm shadow-sm hover:border-indigo-400 active:cursor-grabbing dark:border-slate-700 dark:bg-slate-800 ${
        overdue ? "border-l-4 border-l-rose-600 dark:border-l-rose-400" : ""
      }`}
    >
      <TaskCheckbox task={task} />
      {/* The card's own button: opens the editor, and moves the card with the arrow keys. */}
      <div
        ref={node}
        role="button"
        tabIndex={0}
        data-task-id={task.id}
        aria-roledescription="Draggable task"
        aria-describedby="board-help"
        aria-label={`${task.title}, ${PRIORITY_LABEL[task.priority]} priority, ${STATUS_LABEL[task.status]}${overdue ? ", overdue" : ""}${task.tags.length ? `, tags ${task.tags.join(", ")}` : ""}`}
        onKeyDown={(e: KeyboardEvent) => {
          if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
            e.preventDefault();
            onKeyMove(task, e.key === "ArrowRight" ? 1 : -1);
          } else if (e.key === "Enter" || e.key === " ") {
            e.preventDefault();
            openEditor(task);
          }
        }}
        onClick={() => openEditor(task)}
        className="min-w-0 flex-1 cursor-pointer"
      >
        <p className={`font-medium ${task.status === "done" ? "text-slate-500 line-through dark:text-slate-400" : ""}`}>{task.title}</p>
        <div className="mt-2 flex flex-wrap gap-2 text-xs">
          <span className={`rounded px-1.5 py-0.5 ${PRIORITY_CLASS[task.priority]}`}>{PRIORITY_LABEL[task.priority]}</span>
          <TaskProgress task={task} />
          <DueText task={task} />
          {task.tags.map((tag) => (
            <span key={tag} className="rounded bg-slate-100 px-1.5 py-0.5 text-slate-700 dark:bg-slate-700 dark:text-slate-200">
              #{tag}
            </span>
          ))}
        </div>
      </div>
      <TaskPageLink task={task} />
      <button
        type="button"
        className="btn-secondary ml-auto min-h-11 px-2 py-1 text-xs sm:min-h-8"
        aria-label={`Move “${task.title}” to…`}
        onClick={() => onMoveTo(task)}
      >
        Move to…
      </button>
    </li>
  );
}

function Column({
  status,
  onDropTask,
  onKeyMove,
  onMoveTo,
  claimFocus,
  hidden,
}: {
  status: Status;
  onDropTask: (id: string, status: Status) => void;
  /** Hidden on a phone unless it is the column chosen. */
  hidden: boolean;
} & Omit<CardProps, "task">) {
  // Subtasks show on their parent's card ("2/5"), not as cards of their own.
  const list = useTasks({ status: [status], sort: "-priority", limit: 100, top_level: true });
  const [over, setOver] = useState(false);
  const tasks = list.data?.pages.flatMap((p) => p.items) ?? [];
  const headingId = `column-${status}`;
  return (
    <section
      aria-labelledby={headingId}
      onDragOver={(e: DragEvent) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = "move";
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e: DragEvent) => {
        e.preventDefault();
        setOver(false);
        const id = e.dataTransfer.getData(DRAG_TYPE) || e.dataTransfer.getData("text/plain");
        if (id) onDropTask(id, status);
      }}
      data-column={status}
      className={`${hidden ? "hidden md:flex" : "flex"} min-h-64 flex-col rounded-lg border-2 p-3 transition-colors ${
        over ? "border-indigo-500 bg-indigo-50 dark:bg-indigo-950" : "border-transparent bg-slate-100 dark:bg-slate-900"
      }`}
    >
      <h2 id={headingId} className="mb-3 flex items-center justify-between font-semibold">
        {STATUS_LABEL[status]}
        <span className="rounded-full bg-white px-2 text-sm dark:bg-slate-800">{tasks.length}{list.hasNextPage ? "+" : ""}</span>
      </h2>
      {list.isPending ? (
        <LoadingList rows={3} label={`Loading ${STATUS_LABEL[status]}`} />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : tasks.length === 0 ? (
        <EmptyState title="Nothing here">Drop a card here.</EmptyState>
      ) : (
        <ul className="space-y-2">
          {tasks.map((t) => (
            <Card key={t.id} task={t} onKeyMove={onKeyMove} onMoveTo={onMoveTo} claimFocus={claimFocus} />
          ))}
        </ul>
      )}
      {list.hasNextPage && (
        <button type="button" className="btn-secondary mt-2" onClick={() => void list.fetchNextPage()}>
          Load more
        </button>
      )}
    </section>
  );
}

export default function BoardPage() {
  const qc = useQueryClient();
  const change = useChangeTask();
  const [announcement, setAnnouncement] = useState("");
  // On a phone one column shows at a time; "Move to…" moves a card to another.
  const [shown, setShown] = useState<Status>("todo");
  const [moving, setMoving] = useState<Task | null>(null);
  const refocus = useRef<string | null>(null);
  // The moved card mounts in its new column once the optimistic change is in the cache.
  const claimFocus = useCallback((id: string) => {
    if (refocus.current !== id) return false;
    refocus.current = null;
    return true;
  }, []);

  function move(task: Task, status: Status) {
    if (task.status === status) return;
    setAnnouncement(`Moved “${task.title}” to ${STATUS_LABEL[status]}.`);
    change.mutate({ task, patch: { status } });
  }

  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">Board</h1>
      <p id="board-help" className="text-sm text-slate-600 dark:text-slate-400">
        Drag a card to another column, use its “Move to…”, or focus it and press ← or → to move it.
      </p>
      <p aria-live="polite" className="sr-only">
        {announcement}
      </p>
      <div role="group" aria-label="Column shown" className="flex gap-1 md:hidden">
        {STATUSES.map((status) => (
          <button
            key={status}
            type="button"
            aria-pressed={shown === status}
            onClick={() => setShown(status)}
            className="min-h-11 flex-1 rounded-md border border-slate-300 px-2 text-sm font-medium aria-pressed:border-indigo-700 aria-pressed:bg-indigo-700 aria-pressed:text-white dark:border-slate-600 dark:aria-pressed:bg-indigo-400 dark:aria-pressed:text-slate-950"
          >
            {STATUS_LABEL[status]}
          </button>
        ))}
      </div>
      <div className="grid gap-4 md:grid-cols-3">
        {STATUSES.map((status) => (
          <Column
            key={status}
            status={status}
            hidden={status !== shown}
            onMoveTo={setMoving}
            claimFocus={claimFocus}
            onDropTask={(id, to) => {
              const task = findTask(qc, id);
              if (task) move(task, to);
            }}
            onKeyMove={(task, delta) => {
              const index = STATUSES.indexOf(task.status) + delta;
              const to = STATUSES[index];
              if (!to) return;
              refocus.current = task.id;
              move(task, to);
            }}
          />
        ))}
      </div>
      <Dialog open={moving !== null} title={`Move “${moving?.title ?? ""}” to…`} onClose={() => setMoving(null)}>
        <ul className="space-y-2">
          {STATUSES.map((status) => (
            <li key={status}>
              <button
                type="button"
                className="btn-secondary w-full justify-start"
                disabled={moving?.status === status}
                onClick={() => {
                  if (moving) move(moving, status);
                  setMoving(null);
                }}
              >
                {STATUS_LABEL[status]}
                {moving?.status === status && <span className="ml-auto text-xs">(here now)</span>}
              </button>
            </li>
          ))}
        </ul>
      </Dialog>
    </div>
  );
}
