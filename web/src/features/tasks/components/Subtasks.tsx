import {
  closestCenter,
  DndContext,
  KeyboardSensor,
  PointerSensor,
  useSensor,
  useSensors,
  type DragEndEvent,
} from "@dnd-kit/core";
import { SortableContext, sortableKeyboardCoordinates, useSortable, verticalListSortingStrategy } from "@dnd-kit/sortable";
import { CSS } from "@dnd-kit/utilities";
import { useId, useState, type KeyboardEvent, type SyntheticEvent } from "react";
import { describeError, type Task } from "../../../api/problem";
import { useToast } from "../../../components/toast-context";
import { moved, placeFor, useAddSubtask, useMoveTask, useSubtasks, useToggleSubtask } from "../api/subtasks";
import { SubtaskProgress } from "./SubtaskProgress";

interface RowProps {
  task: Task;
  index: number;
  count: number;
  readOnly: boolean;
  onMove: (from: number, to: number) => void;
  onToggle: (task: Task) => void;
}

function SubtaskRow({ task, index, count, readOnly, onMove, onToggle }: RowProps) {
  const { attributes, listeners, setNodeRef, transform, transition, isDragging } = useSortable({ id: task.id, disabled: readOnly });
  const done = task.status === "done";
  const onHandleKey = (e: KeyboardEvent<HTMLButtonElement>) => {
    // Alt+↑/↓ moves it one place at once; Space picks it up to move with the arrows (dnd kit).
    if (e.altKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
      e.preventDefault();
      onMove(index, index + (e.key === "ArrowUp" ? -1 : 1));
      return;
    }
    listeners?.onKeyDown?.(e);
  };
  return (
    <li
      ref={setNodeRef}
      style={{ transform: CSS.Transform.toString(transform), transition }}
      data-subtask={task.id}
      className={`flex items-center gap-2 py-1.5 ${isDragging ? "relative z-10 rounded bg-indigo-50 dark:bg-indigo-950" : ""}`}
    >
      {!readOnly && (
        <button
          type="button"
          {...attributes}
          {...listeners}
          onKeyDown={onHandleKey}
          aria-label={`Reorder “${task.title}” (Space to pick up, arrows to move; or Alt+arrows)`}
          className="cursor-grab touch-none rounded px-1 text-slate-500 hover:text-slate-900 active:cursor-grabbing dark:text-slate-400 dark:hover:text-slate-100"
        >
          <span aria-hidden="true">⠿</span>
        </button>
      )}
      <input
        type="checkbox"
        className="size-4 shrink-0"
        checked={done}
        disabled={readOnly}
        onChange={() => onToggle(task)}
        aria-label={`Complete subtask “${task.title}”`}
      />
      <span className={`min-w-0 flex-1 truncate text-sm ${done ? "text-slate-500 line-through dark:text-slate-400" : ""}`}>
        {task.title}
      </span>
      {!readOnly && (
        <span className="flex shrink-0 gap-1">
          <button
            type="button"
            className="rounded px-1.5 text-sm text-slate-600 hover:bg-slate-100 disabled:opacity-40 dark:text-slate-300 dark:hover:bg-slate-800"
            disabled={index === 0}
            onClick={() => onMove(index, index - 1)}
            aria-label={`Move “${task.title}” up`}
          >
            ↑
          </button>
          <button
            type="button"
            className="rounded px-1.5 text-sm text-slate-600 hover:bg-slate-100 disabled:opacity-40 dark:text-slate-300 dark:hover:bg-slate-800"
            disabled={index === count - 1}
            onClick={() => onMove(index, index + 1)}
            aria-label={`Move “${task.title}” down`}
          >
            ↓
          </button>
        </span>
      )}
    </li>
  );
}

/**
 * A task's subtasks in the editor: add one, check one off, reorder them by dragging the handle,
 * with the keyboard (Space on the handle, then the arrows; or Alt+↑/↓), or with the ↑ ↓ buttons.
 * Every change is saved at once; a viewer of the project only reads them.
 */
export function Subtasks({ parent, readOnly = false }: { parent: Task; readOnly?: boolean }) {
  const headingId = useId();
  const { toast } = useToast();
  const list = useSubtasks(parent.id);
  const items = list.data ?? [];
  const [title, setTitle] = useState("");
  const fail = (what: string) => (error: Error) => toast({ kind: "error", message: `${what}: ${describeError(error)}` });
  const add = useAddSubtask(parent, { onError: fail("Subtask not added") });
  const move = useMoveTask({ onError: fail("Not reordered") });
  const toggle = useToggleSubtask({ onError: fail("Not saved") });
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 4 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );

  const reorder = (from: number, to: number) => {
    const task = items[from];
    const place = placeFor(
      items.map((t) => t.id),
      from,
      to,
    );
    if (task && place) move.mutate({ task, place, subtasks: moved(items, from, to) });
  };
  const onDragEnd = ({ active, over }: DragEndEvent) => {
    if (!over || active.id === over.id) return;
    reorder(
      items.findIndex((t) => t.id === active.id),
      items.findIndex((t) => t.id === over.id),
    );
  };
  const submit = (e: SyntheticEvent) => {
    e.preventDefault();
    const text = title.trim();
    if (!text) return;
    // The field is free for the next one at once; a refused one comes back to it.
    setTitle("");
    add.mutate(text, { onError: () => setTitle((now) => now || text) });
  };
  const done = items.filter((t) => t.status === "done").length;

  return (
    <section aria-labelledby={headingId} className="mt-4 border-t border-slate-200 pt-3 dark:border-slate-800">
      <h3 id={headingId} className="flex items-center gap-2 text-sm font-semibold">
        Subtasks
        {items.length > 0 && <SubtaskProgress done={done} total={items.length} />}
      </h3>
      {list.isError && <p className="text-sm text-rose-700 dark:text-rose-300">{describeError(list.error)}</p>}
      <DndContext sensors={sensors} collisionDetection={closestCenter} onDragEnd={onDragEnd}>
        <SortableContext items={items.map((t) => t.id)} strategy={verticalListSortingStrategy}>
          <ul aria-label={`Subtasks of “${parent.title}”`} className="mt-1">
            {items.map((task, index) => (
              <SubtaskRow
                key={task.id}
                task={task}
                index={index}
                count={items.length}
                readOnly={readOnly}
                onMove={reorder}
                onToggle={(t) => toggle.mutate(t)}
              />
            ))}
          </ul>
        </SortableContext>
      </DndContext>
      {!readOnly && (
        <form onSubmit={submit} className="mt-2 flex gap-2">
          <input
            className="input min-w-0 flex-1"
            value={title}
            maxLength={200}
            onChange={(e) => setTitle(e.target.value)}
            placeholder="Add a subtask"
            aria-label="New subtask"
          />
          <button type="submit" className="btn-secondary" disabled={add.isPending || !title.trim()}>
            Add
          </button>
        </form>
      )}
    </section>
  );
}
