import { createContext, useCallback, useContext } from "react";
import { describeError, type Task, type TaskUpdate } from "../../api/problem";
import { useToast, type ToastApi } from "../../components/toast-context";
import { useDeleteTasks } from "./api/delete-tasks";
import { useRestoreTasks } from "./api/restore-tasks";
import { describeRule } from "./recurrence";
import { conflictOf, useUpdateTask } from "./api/update-task";

/** A change the server refused because the task had changed since it was read (412). */
export interface Conflict {
  mine: TaskUpdate;
  current: Task;
}

/** The dialogs every screen of the signed-in app can open (TaskActionsProvider draws them). */
export interface TaskDialogs {
  /** The task editor; with no task, a new one. */
  openEditor: (task?: Task) => void;
  showConflict: (conflict: Conflict) => void;
  /** Asks what to do with a task's open subtasks as it is completed (null: cancelled). */
  askOpenSubtasks?: (task: Task, open?: number) => Promise<"complete" | "keep" | null>;
}

export const TaskDialogsContext = createContext<TaskDialogs | null>(null);

export function useTaskDialogs(): TaskDialogs {
  const value = useContext(TaskDialogsContext);
  if (!value) throw new Error("useTaskDialogs outside TaskActionsProvider");
  return value;
}

/**
 * Changes a task (optimistic). A refused change opens the conflict dialog on a 412 and says
 * "Not saved" otherwise.
 */
export function useChangeTask() {
  const { toast } = useToast();
  const { showConflict } = useTaskDialogs();
  return useUpdateTask({ onError: (error, { patch }) => reportRefusedChange(error, patch, toast, showConflict) });
}

/** What the user is told when a change of a task did not go through. */
export function reportRefusedChange(
  error: Error,
  patch: TaskUpdate,
  toast: ToastApi["toast"],
  showConflict: (conflict: Conflict) => void,
): void {
  const current = conflictOf(error);
  if (current) showConflict({ mine: patch, current });
  else toast({ kind: "error", message: `Not saved: ${describeError(error)}` });
}

export const UNDO_MS = 5000;

/**
 * Deletes tasks with a chance to undo: they disappear at once and go to the trash on the server
 * at once too; the toast's Undo restores them from there.
 */
export function useRemoveTasks(): (tasks: Task[]) => void {
  const { toast } = useToast();
  const restore = useRestoreTasks({
    onError: (error) => toast({ kind: "error", message: `Could not restore: ${describeError(error)}` }),
  });
  const { mutate } = useDeleteTasks({
    onSuccess: (_, { tasks }) =>
      toast({
        message: tasks.length === 1 ? `“${tasks[0]?.title ?? ""}” deleted` : `${tasks.length} tasks deleted`,
        duration: UNDO_MS,
        action: { label: "Undo", onClick: () => restore.mutate(tasks.map((t) => t.id)) },
      }),
    onError: (error) => toast({ kind: "error", message: `Could not delete: ${describeError(error)}` }),
  });
  return useCallback(
    (tasks: Task[]) => {
      if (tasks.length) mutate({ tasks });
    },
    [mutate],
  );
}

/**
 * One click done: completes an open task (or reopens a done one) at once, optimistic, and offers
 * to undo it, which puts the status back as it was.
 */
export function useToggleDone(): (task: Task) => void {
  const { toast } = useToast();
  const { mutateAsync, mutate } = useChangeTask();
  const { askOpenSubtasks } = useTaskDialogs();
  return useCallback(
    (task: Task) => {
      const before = task.status;
      const status = before === "done" ? "todo" : "done";
      // A parent with open subtasks asks first: complete them too, or only the parent.
      const open = task.subtasks_total - task.subtasks_done;
      if (status === "done" && open > 0 && askOpenSubtasks) {
        void askOpenSubtasks(task, open).then((choice) => {
          if (choice) send({ status, open_subtasks: choice });
        });
      } else send({ status });
      function send(patch: TaskUpdate) {
        void mutateAsync({ task, patch }).then(
          (fresh) =>
            toast({
              message:
                status !== "done"
                  ? `“${task.title}” reopened`
                  : task.recurrence
                    ? `“${task.title}” completed; it repeats ${describeRule(task.recurrence).replace(/^Every/, "every")}`
                    : `“${task.title}” completed`,
              duration: UNDO_MS,
              action: { label: "Undo", onClick: () => mutate({ task: fresh, patch: { status: before } }) },
            }),
          () => undefined,
        );
      }
    },
    [mutateAsync, mutate, toast, askOpenSubtasks],
  );
}
