import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap, type Task } from "../../../api/problem";
import type { MutationCallbacks } from "../../../lib/react-query";
import { cancelListFetches, dropTasks, etag, invalidateAfterWrite, snapshot, taskKeys } from "./task-cache";

export interface DeleteTasksInput {
  tasks: Task[];
  /**
   * An undo window: the request waits for it and is not sent if it resolves to true. The tasks
   * are gone from the lists meanwhile.
   */
  undone?: Promise<boolean>;
}

/** The user took the deletion back before it was sent. */
export class DeletionUndone extends Error {
  constructor() {
    super("Deletion undone");
    this.name = "DeletionUndone";
  }
}

/** One task: DELETE with If-Match. Several: one bulk request (all or nothing). */
export async function deleteTasks(tasks: Task[]): Promise<void> {
  const [only] = tasks;
  if (tasks.length === 1 && only) {
    unwrap(
      await api.DELETE("/api/v1/tasks/{task_id}", {
        params: { path: { task_id: only.id }, header: { "if-match": etag(only) } },
      }),
    );
  } else {
    unwrap(await api.POST("/api/v1/tasks/bulk", { body: { action: "delete", ids: tasks.map((t) => t.id) } }));
  }
}

/**
 * Optimistic: the tasks leave every list at once. An undo, like an error, puts the lists back;
 * only an error is reported to onError (and makes the lists refetch, since the server may hold
 * something else by now).
 */
export function useDeleteTasks({ onSuccess, onError }: MutationCallbacks<void, DeleteTasksInput> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ tasks, undone }: DeleteTasksInput) => {
      if (undone && (await undone)) throw new DeletionUndone();
      await deleteTasks(tasks);
    },
    onMutate: async ({ tasks }) => {
      await cancelListFetches(qc);
      const saved = snapshot(qc);
      dropTasks(qc, new Set(tasks.map((t) => t.id)));
      return saved;
    },
    onError: (error, input, saved) => {
      saved?.restore();
      if (error instanceof DeletionUndone) return;
      void qc.invalidateQueries({ queryKey: taskKeys.lists() });
      onError?.(error, input);
    },
    onSuccess: (_, input) => onSuccess?.(undefined, input),
    onSettled: (_, error) => (error instanceof DeletionUndone ? undefined : invalidateAfterWrite(qc)),
  });
}
