import { infiniteQueryOptions, useInfiniteQuery } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import { taskKeys } from "../../tasks/api/task-cache";
import type { HistoryPage } from "./comment-cache";

export async function getTaskHistory(taskId: string, cursor: string | null, signal?: AbortSignal): Promise<HistoryPage> {
  return unwrap(
    await api.GET("/api/v1/tasks/{task_id}/history", {
      params: { path: { task_id: taskId }, query: cursor ? { cursor } : {} },
      signal,
    }),
  );
}

export const getTaskHistoryQueryOptions = (taskId: string) =>
  infiniteQueryOptions({
    queryKey: taskKeys.history(taskId),
    queryFn: ({ pageParam, signal }) => getTaskHistory(taskId, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });

/** Who changed what of a task, newest first, page by page. */
export function useTaskHistory(taskId: string) {
  return useInfiniteQuery(getTaskHistoryQueryOptions(taskId));
}
