import { createContext, useContext } from "react";
import type { Task, TaskCreate, TaskUpdate } from "../api/problem";

export interface TaskActions {
  create: (body: TaskCreate) => Promise<Task>;
  /** Optimistic; rolls back on error; a 412 opens the conflict dialog. */
  update: (task: Task, patch: TaskUpdate) => Promise<void>;
  /** Hides the task at once; the request goes when the undo toast closes. */
  remove: (tasks: Task[]) => void;
  complete: (tasks: Task[]) => Promise<void>;
  openEditor: (task?: Task) => void;
}

export const TaskActionsContext = createContext<TaskActions | null>(null);

export function useTaskActions(): TaskActions {
  const value = useContext(TaskActionsContext);
  if (!value) throw new Error("useTaskActions outside TaskActionsProvider");
  return value;
}
