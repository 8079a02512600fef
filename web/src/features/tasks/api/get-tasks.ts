import { infiniteQueryOptions, useInfiniteQuery } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap, type TaskPage } from "../../../api/problem";
import type { ListQuery } from "../filters";
import { taskKeys } from "./task-cache";

export async function getTasks(query: ListQuery, cursor: string | null, signal?: AbortSignal): Promise<TaskPage> {
  return unwrap(
    await api.GET("/api/v1/tasks", {
      params: { query: cursor ? { ...query, cursor } : query },
      signal,
    }),
  );
}

/** One list of tasks, page by page (keyset cursors). */
export const getTasksQueryOptions = (query: ListQuery) =>
  infiniteQueryOptions({
    // Query keys compare by value, so a fresh object per render is fine.
    queryKey: taskKeys.list(query),
    queryFn: ({ pageParam, signal }) => getTasks(query, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });

/** `enabled: false` holds the request back (until the profile's zone is known, for instance). */
export function useTasks(query: ListQuery, { enabled = true }: { enabled?: boolean } = {}) {
  return useInfiniteQuery({ ...getTasksQueryOptions(query), enabled });
}
