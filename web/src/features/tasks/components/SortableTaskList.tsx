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
import type { KeyboardEvent } from "react";
import { describeError, type Task } from "../../../api/problem";
import { useToast } from "../../../components/toast-context";
import { placeFor, useMoveTask } from "../api/subtasks";
import { TaskRow } from "./TaskRow";

function SortableRow({ task, index, onMove }: { task: Task; index: number; onMove: (from: number, to: number) => void }) {
  const { attributes, listeners, setNodeRef, transform, transition, isDragging } = useSortable({ id: task.id });
  const onKeyDown = (e: KeyboardEvent<HTMLButtonElement>) => {
    if (e.altKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
      e.preventDefault();
      onMove(index, index + (e.key === "ArrowUp" ? -1 : 1));
      return;
    }
    listeners?.onKeyDown?.(e);
  };
  return (
    <TaskRow
      task={task}
      ref={setNodeRef}
      style={{
        transform: CSS.Transform.toString(transform),
        transition,
        position: isDragging ? "relative" : undefined,
        zIndex: isDragging ? 10 : undefined,
      }}
      handle={
        <button
          type="button"
          {...attributes}
          {...listeners}
          onKeyDown={onKeyDown}
          aria-label={`Reorder “${task.title}” (Space to pick up, arrows to move; or Alt+arrows)`}
          className="-my-2 shrink-0 cursor-grab touch-none rounded px-1 py-2 text-slate-500 hover:text-slate-900 active:cursor-grabbing dark:text-slate-400 dark:hover:text-slate-100"
        >
          <span aria-hidden="true">⠿</span>
        </button>
      }
    />
  );
}

/**
 * The tasks of one project in their manual order, reordered by dragging a row's handle or from
 * the keyboard (Space on the handle, then the arrows, Space to drop; or Alt+↑/↓ at once). Each
 * move is saved at once (optimistic; an error puts the row back and says so).
 */
export function SortableTaskList({ tasks, label }: { tasks: Task[]; label: string }) {
  const { toast } = useToast();
  const move = useMoveTask({ onError: (error) => toast({ kind: "error", message: `Not reordered: ${describeError(error)}` }) });
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 4 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );
  const reorder = (from: number, to: number) => {
    const task = tasks[from];
    const place = placeFor(
      tasks.map((t) => t.id),
      from,
      to,
    );
    if (task && place) move.mutate({ task, place });
  };
  const onDragEnd = ({ active, over }: DragEndEvent) => {
    if (!over || active.id === over.id) return;
    reorder(
      tasks.findIndex((t) => t.id === active.id),
      tasks.findIndex((t) => t.id === over.id),
    );
  };
  return (
    <DndContext sensors={sensors} collisionDetection={closestCenter} onDragEnd={onDragEnd}>
      <SortableContext items={tasks.map((t) => t.id)} strategy={verticalListSortingStrategy}>
        <ul aria-label={label} className="divide-y divide-slate-200 dark:divide-slate-800">
          {tasks.map((task, index) => (
            <SortableRow key={task.id} task={task} index={index} onMove={reorder} />
          ))}
        </ul>
      </SortableContext>
    </DndContext>
  );
}
