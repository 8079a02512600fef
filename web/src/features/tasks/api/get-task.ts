import { queryOptions, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap, type Task } from "../../../api/problem";
import { findTask, taskKeys } from "./task-cache";

export async function getTask(id: string, signal?: AbortSignal): Promise<Task> {
  return unwrap(await api.GET("/api/v1/tasks/{task_id}", { params: { path: { task_id: id } }, signal }));
}

export const getTaskQueryOptions = (id: string) =>
  queryOptions({ queryKey: taskKeys.detail(id), queryFn: ({ signal }) => getTask(id, signal) });

/** One task (its page): shown at once from a cached list if one holds it, then read. */
export function useTask(id: string) {
  const qc = useQueryClient();
  return useQuery({ ...getTaskQueryOptions(id), placeholderData: () => findTask(qc, id) });
}
