import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { ApiError, unwrap, type Task, type TaskUpdate } from "../../../api/problem";
import type { MutationCallbacks } from "../../../lib/react-query";
import { cancelListFetches, etag, invalidateAfterWrite, putTask, snapshot, taskKeys } from "./task-cache";

export interface UpdateTaskInput {
  /** The task as the client holds it: its version goes in If-Match. */
  task: Task;
  patch: TaskUpdate;
}

export async function updateTask({ task, patch }: UpdateTaskInput): Promise<Task> {
  return unwrap(
    await api.PATCH("/api/v1/tasks/{task_id}", {
      params: { path: { task_id: task.id }, header: { "if-match": etag(task) } },
      body: patch,
    }),
  );
}

/** The task as the server holds it now, when a change was refused for being stale (412). */
export function conflictOf(error: unknown): Task | undefined {
  return error instanceof ApiError && error.status === 412 ? error.problem.current : undefined;
}

/**
 * Optimistic: every cached list shows the change at once; an error puts the lists back as they
 * were, and a 412 then shows the newer version the server sent.
 */
export function useUpdateTask({ onSuccess, onError }: MutationCallbacks<Task, UpdateTaskInput> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: updateTask,
    onMutate: async ({ task, patch }) => {
      await cancelListFetches(qc);
      const saved = snapshot(qc);
      putTask(qc, { ...task, ...(patch as Partial<Task>) });
      return saved;
    },
    onError: (error, input, saved) => {
      saved?.restore();
      const current = conflictOf(error);
      if (current) putTask(qc, current);
      onError?.(error, input);
    },
    onSuccess: (fresh, input) => {
      putTask(qc, fresh);
      onSuccess?.(fresh, input);
    },
    onSettled: async (fresh, _error, { task }) => {
      await invalidateAfterWrite(qc);
      // A recurring task just completed: the server made its next occurrence, so the lists on
      // screen refetch now to show it.
      if (fresh?.recurrence && fresh.status === "done" && task.status !== "done") {
        await qc.invalidateQueries({ queryKey: taskKeys.lists() });
      }
    },
  });
}
