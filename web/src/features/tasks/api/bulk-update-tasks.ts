import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap, type Status, type Task } from "../../../api/problem";
import type { components } from "../../../api/schema";
import type { MutationCallbacks } from "../../../lib/react-query";
import { cancelListFetches, invalidateAfterWrite, putTask, snapshot, taskKeys } from "./task-cache";

export type BulkResult = components["schemas"]["BulkResult"];

export interface BulkUpdateInput {
  tasks: Task[];
  status: Status;
}

/** One request for up to 100 tasks; the server applies all or none. */
export async function bulkUpdateTasks({ tasks, status }: BulkUpdateInput): Promise<BulkResult> {
  return unwrap(
    await api.POST("/api/v1/tasks/bulk", {
      body: { action: "set_status", ids: tasks.map((t) => t.id), status },
    }),
  );
}

/** Optimistic like a single update; an error puts every list back. */
export function useBulkUpdateTasks({ onSuccess, onError }: MutationCallbacks<BulkResult, BulkUpdateInput> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: bulkUpdateTasks,
    onMutate: async ({ tasks, status }) => {
      await cancelListFetches(qc);
      const saved = snapshot(qc);
      for (const task of tasks) putTask(qc, { ...task, status });
      return saved;
    },
    onError: (error, input, saved) => {
      saved?.restore();
      onError?.(error, input);
    },
    onSuccess: (result, input) => {
      for (const task of result.items) putTask(qc, task);
      onSuccess?.(result, input);
    },
    onSettled: async (_result, _error, { tasks, status }) => {
      await invalidateAfterWrite(qc);
      // Recurring tasks completed: their next occurrences are new on the server; show them now.
      if (status === "done" && tasks.some((t) => t.recurrence && t.status !== "done")) {
        await qc.invalidateQueries({ queryKey: taskKeys.lists() });
      }
    },
  });
}
