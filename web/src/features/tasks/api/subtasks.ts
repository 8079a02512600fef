import { queryOptions, useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap, type Task } from "../../../api/problem";
import type { MutationCallbacks } from "../../../lib/react-query";
import { createTask } from "./create-task";
import { invalidateAfterWrite, putTask, taskKeys, type TaskPages } from "./task-cache";
import { updateTask } from "./update-task";

/** A parent's subtasks, in their manual order (under ["tasks"], so every task write can reach them). */
export const subtaskKeys = {
  all: () => [...taskKeys.all, "subtasks"] as const,
  of: (parentId: string) => [...taskKeys.all, "subtasks", parentId] as const,
};

export async function getSubtasks(parentId: string, signal?: AbortSignal): Promise<Task[]> {
  const page = unwrap(
    await api.GET("/api/v1/tasks/{task_id}/subtasks", { params: { path: { task_id: parentId } }, signal }),
  );
  return page.items;
}

export const subtasksQueryOptions = (parentId: string) =>
  queryOptions({ queryKey: subtaskKeys.of(parentId), queryFn: ({ signal }) => getSubtasks(parentId, signal) });

export function useSubtasks(parentId: string) {
  return useQuery(subtasksQueryOptions(parentId));
}

/** Where a task goes among its siblings: right after one, or right before one (at the top). */
export type Place = { after_id: string } | { before_id: string };

export async function moveTask(taskId: string, place: Place): Promise<Task> {
  return unwrap(await api.POST("/api/v1/tasks/{task_id}/move", { params: { path: { task_id: taskId } }, body: place }));
}

/** The place that puts `ids[from]` at index `to` (its neighbours once moved), or null if it stays. */
export function placeFor(ids: readonly string[], from: number, to: number): Place | null {
  if (from === to || to < 0 || to >= ids.length) return null;
  const rest = ids.filter((_, i) => i !== from);
  const after = rest[to - 1];
  if (after !== undefined) return { after_id: after };
  const before = rest[0];
  return before === undefined ? null : { before_id: before };
}

/** `ids` with `ids[from]` moved to index `to`. */
export function moved<T>(items: readonly T[], from: number, to: number): T[] {
  const next = [...items];
  const [item] = next.splice(from, 1);
  if (item !== undefined) next.splice(to, 0, item);
  return next;
}

/** Every cached list in manual order shows the move at once (the pages keep their sizes). */
function reorderLists(qc: QueryClient, taskId: string, place: Place): void {
  for (const [key, data] of qc.getQueriesData<TaskPages>({ queryKey: taskKeys.lists() })) {
    const query = key[2] as { sort?: string } | undefined;
    if (!data || query?.sort !== "position") continue;
    const items = data.pages.flatMap((p) => p.items);
    const task = items.find((t) => t.id === taskId);
    if (!task) continue;
    const rest = items.filter((t) => t.id !== taskId);
    const anchor = rest.findIndex((t) => t.id === ("after_id" in place ? place.after_id : place.before_id));
    if (anchor < 0) continue;
    rest.splice("after_id" in place ? anchor + 1 : anchor, 0, task);
    let start = 0;
    const pages = data.pages.map((page) => {
      const items = rest.slice(start, start + page.items.length);
      start += page.items.length;
      return { ...page, items };
    });
    qc.setQueryData<TaskPages>(key, { ...data, pages });
  }
}

export interface MoveInput {
  task: Task;
  place: Place;
  /** The siblings in their new order, for a parent's subtasks (shown at once). */
  subtasks?: Task[];
}

/** Optimistic: the lists (and a parent's subtasks) show the new order at once; an error puts them back. */
export function useMoveTask({ onSuccess, onError }: MutationCallbacks<Task, MoveInput> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ task, place }: MoveInput) => moveTask(task.id, place),
    onMutate: async ({ task, place, subtasks }) => {
      const key = task.parent_id ? subtaskKeys.of(task.parent_id) : null;
      if (key) await qc.cancelQueries({ queryKey: key });
      const lists = qc.getQueriesData<TaskPages>({ queryKey: taskKeys.lists() });
      const siblings = key ? qc.getQueryData<Task[]>(key) : undefined;
      if (key && subtasks) qc.setQueryData(key, subtasks);
      reorderLists(qc, task.id, place);
      return () => {
        for (const [k, data] of lists) qc.setQueryData(k, data);
        if (key) qc.setQueryData(key, siblings);
      };
    },
    onError: (error, input, restore) => {
      restore?.();
      onError?.(error, input);
    },
    onSuccess: (fresh, input) => {
      putTask(qc, fresh);
      if (fresh.parent_id)
        qc.setQueryData<Task[]>(subtaskKeys.of(fresh.parent_id), (old) => old?.map((t) => (t.id === fresh.id ? fresh : t)));
      onSuccess?.(fresh, input);
    },
    onSettled: (_data, _error, { task }) =>
      task.parent_id ? qc.invalidateQueries({ queryKey: subtaskKeys.of(task.parent_id) }) : undefined,
  });
}

/** Adds a subtask at the end of its parent's (not optimistic: the server gives it its place). */
export function useAddSubtask(parent: Task, { onError }: MutationCallbacks<Task, string> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (title: string) => createTask({ title, parent_id: parent.id }),
    onSuccess: (task) => {
      qc.setQueryData<Task[]>(subtaskKeys.of(parent.id), (old) => [...(old ?? []), task]);
    },
    onError: (error, title) => onError?.(error, title),
    onSettled: async () => {
      await qc.invalidateQueries({ queryKey: subtaskKeys.of(parent.id) });
      await invalidateAfterWrite(qc);
      await qc.invalidateQueries({ queryKey: taskKeys.lists() });
    },
  });
}

/** Checks a subtask off (or reopens it), optimistic in the parent's list; the parent's "2/5" follows. */
export function useToggleSubtask({ onError }: MutationCallbacks<Task, Task> = {}) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (task: Task) => updateTask({ task, patch: { status: task.status === "done" ? "todo" : "done" } }),
    onMutate: async (task) => {
      const key = subtaskKeys.of(task.parent_id ?? "");
      await qc.cancelQueries({ queryKey: key });
      const before = qc.getQueryData<Task[]>(key);
      const status = task.status === "done" ? "todo" : "done";
      qc.setQueryData<Task[]>(key, (old) => old?.map((t) => (t.id === task.id ? { ...t, status } : t)));
      return () => qc.setQueryData(key, before);
    },
    onError: (error, task, restore) => {
      restore?.();
      onError?.(error, task);
    },
    onSuccess: (fresh) => putTask(qc, fresh),
    onSettled: async (_data, _error, task) => {
      await qc.invalidateQueries({ queryKey: subtaskKeys.of(task.parent_id ?? "") });
      await invalidateAfterWrite(qc);
      await qc.invalidateQueries({ queryKey: taskKeys.lists() });
    },
  });
}
