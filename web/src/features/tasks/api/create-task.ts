import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap, type Task, type TaskCreate } from "../../../api/problem";
import type { MutationCallbacks } from "../../../lib/react-query";
import { addTask, invalidateAfterWrite } from "./task-cache";

export async function createTask(body: TaskCreate): Promise<Task> {
  return unwrap(
    await api.POST("/api/v1/tasks", {
      body,
      params: { header: { "idempotency-key": crypto.randomUUID() } },
    }),
  );
}

/**
 * Not optimistic: the server gives the task its id and version. The new task goes on top of the
 * lists it belongs to as soon as it exists.
 */
export function useCreateTask({ onSuccess, onError }: MutationCallbacks<Task, TaskCreate> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: createTask,
    onSuccess: (task, body) => {
      addTask(qc, task);
      onSuccess?.(task, body);
    },
    onError: (error, body) => onError?.(error, body),
    onSettled: () => invalidateAfterWrite(qc),
  });
}
