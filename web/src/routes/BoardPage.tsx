import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState, type DragEvent, type KeyboardEvent } from "react";
import type { Status, Task } from "../api/problem";
import { EmptyState, ErrorState, LoadingList } from "../components/States";
import { PRIORITY_CLASS, PRIORITY_LABEL, STATUS_LABEL, STATUSES } from "../lib/format";
import { useTasks } from "../features/tasks/api/get-tasks";
import { findTask } from "../features/tasks/api/task-cache";
import { TaskCheckbox } from "../features/tasks/components/TaskCheckbox";
import { DueText } from "../features/tasks/components/TaskRow";
import { useChangeTask, useTaskDialogs } from "../features/tasks/task-actions";

const DRAG_TYPE = "application/x-tasklane-task";

interface CardProps {
  task: Task;
  onKeyMove: (task: Task, delta: number) => void;
  /** True once for the card a keyboard move asked to keep focused (it mounts in its new column). */
  claimFocus: (id: string) => boolean;
}

function Card({ task, onKeyMove, claimFocus }: CardProps) {
  const { openEditor } = useTaskDialogs();
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
      className="flex cursor-grab items-start gap-2 rounded-md border border-slate-200 bg-white p-3 text-sm shadow-sm hover:border-indigo-400 active:cursor-grabbing dark:border-slate-700 dark:bg-slate-800"
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
        aria-label={`${task.title}, ${PRIORITY_LABEL[task.priority]} priority, ${STATUS_LABEL[task.status]}`}
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
          <DueText task={task} />
        </div>
      </div>
    </li>
  );
}

function Column({
  status,
  onDropTask,
  onKeyMove,
  claimFocus,
}: {
  status: Status;
  onDropTask: (id: string, status: Status) => void;
} & Omit<CardProps, "task">) {
  const list = useTasks({ status: [status], sort: "-priority", limit: 100 });
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
      className={`flex min-h-64 flex-col rounded-lg border-2 p-3 transition-colors ${
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
            <Card key={t.id} task={t} onKeyMove={onKeyMove} claimFocus={claimFocus} />
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
        Drag a card to another column, or focus it and press ← or → to move it.
      </p>
      <p aria-live="polite" className="sr-only">
        {announcement}
      </p>
      <div className="grid gap-4 md:grid-cols-3">
        {STATUSES.map((status) => (
          <Column
            key={status}
            status={status}
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
    </div>
  );
}
