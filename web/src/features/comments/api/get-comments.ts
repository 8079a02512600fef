import { infiniteQueryOptions, useInfiniteQuery } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import { commentKeys, type CommentPage } from "./comment-cache";

export async function getComments(taskId: string, cursor: string | null, signal?: AbortSignal): Promise<CommentPage> {
  return unwrap(
    await api.GET("/api/v1/tasks/{task_id}/comments", {
      params: { path: { task_id: taskId }, query: cursor ? { cursor, limit: 50 } : { limit: 50 } },
      signal,
    }),
  );
}

export const getCommentsQueryOptions = (taskId: string) =>
  infiniteQueryOptions({
    queryKey: commentKeys.of(taskId),
    queryFn: ({ pageParam, signal }) => getComments(taskId, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });

/** A task's comments, oldest first (newest last), page by page. */
export function useComments(taskId: string) {
  return useInfiniteQuery(getCommentsQueryOptions(taskId));
}
