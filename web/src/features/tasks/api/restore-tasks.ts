import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap, type Task } from "../../../api/problem";
import type { MutationCallbacks } from "../../../lib/react-query";
import { addTask, invalidateAfterWrite, taskKeys } from "./task-cache";
import { dropFromTrash, trashKeys } from "./trash-cache";

export async function restoreTask(id: string): Promise<Task> {
  return unwrap(await api.POST("/api/v1/tasks/trash/{task_id}/restore", { params: { path: { task_id: id } } }));
}

/**
 * Brings tasks back from the trash (an undo after a delete, or the Trash view): each comes back
 * as it was, into the lists it belongs to. Not optimistic: the server has the task.
 */
export function useRestoreTasks({ onSuccess, onError }: MutationCallbacks<Task[], string[]> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (ids: string[]) => Promise.all(ids.map(restoreTask)),
    onSuccess: (tasks, ids) => {
      for (const task of tasks) addTask(qc, task);
      dropFromTrash(qc, new Set(ids));
      onSuccess?.(tasks, ids);
    },
    onError: (error, ids) => onError?.(error, ids),
    onSettled: () =>
      Promise.all([
        invalidateAfterWrite(qc),
        // A restored task sits where its list's order puts it: let the lists say where.
        qc.invalidateQueries({ queryKey: taskKeys.lists() }),
        qc.invalidateQueries({ queryKey: trashKeys.all }),
      ]),
  });
}

export async function deleteForever(id: string): Promise<void> {
  unwrap(await api.DELETE("/api/v1/tasks/trash/{task_id}", { params: { path: { task_id: id } } }));
}

/** Deletes a task of the trash for good (no undo: the Trash view asks first). */
export function useDeleteForever({ onSuccess, onError }: MutationCallbacks<void, string> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: deleteForever,
    onSuccess: (_, id) => {
      dropFromTrash(qc, new Set([id]));
      onSuccess?.(undefined, id);
    },
    onError: (error, id) => onError?.(error, id),
    onSettled: () => qc.invalidateQueries({ queryKey: trashKeys.all }),
  });
}
