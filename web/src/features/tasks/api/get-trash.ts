import { infiniteQueryOptions, useInfiniteQuery } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";
import { trashKeys, type TrashPage } from "./trash-cache";

export async function getTrash(cursor: string | null, signal?: AbortSignal): Promise<TrashPage> {
  return unwrap(
    await api.GET("/api/v1/tasks/trash", { params: { query: cursor ? { cursor } : {} }, signal }),
  );
}

/** The deleted tasks of the user's projects, most recently deleted first, page by page. */
export function useTrash() {
  return useInfiniteQuery(
    infiniteQueryOptions({
      queryKey: trashKeys.list(),
      queryFn: ({ pageParam, signal }) => getTrash(pageParam, signal),
      initialPageParam: null as string | null,
      getNextPageParam: (last) => last.next_cursor,
    }),
  );
}
