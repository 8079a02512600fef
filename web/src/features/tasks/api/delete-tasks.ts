import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap, type Task } from "../../../api/problem";
import type { MutationCallbacks } from "../../../lib/react-query";
import { cancelListFetches, dropTasks, etag, invalidateAfterWrite, snapshot, taskKeys } from "./task-cache";
import { trashKeys } from "./trash-cache";

export interface DeleteTasksInput {
  tasks: Task[];
}

/**
 * One task: DELETE with If-Match. Several: one bulk request (all or nothing). Either way the
 * tasks go to the trash at once, from where they can be restored for 30 days.
 */
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
 * Optimistic: the tasks leave every list at once and the request goes at once (they move to the
 * trash, so closing the tab loses nothing and an undo restores them from the server). An error
 * puts the lists back and makes them refetch, since the server may hold something else by now.
 */
export function useDeleteTasks({ onSuccess, onError }: MutationCallbacks<void, DeleteTasksInput> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ tasks }: DeleteTasksInput) => deleteTasks(tasks),
    onMutate: async ({ tasks }) => {
      await cancelListFetches(qc);
      const saved = snapshot(qc);
      dropTasks(qc, new Set(tasks.map((t) => t.id)));
      return saved;
    },
    onError: (error, input, saved) => {
      saved?.restore();
      void qc.invalidateQueries({ queryKey: taskKeys.lists() });
      onError?.(error, input);
    },
    onSuccess: (_, input) => onSuccess?.(undefined, input),
    onSettled: () => Promise.all([invalidateAfterWrite(qc), qc.invalidateQueries({ queryKey: trashKeys.all })]),
  });
}
