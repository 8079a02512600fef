import { queryOptions, useQuery } from "@tanstack/react-query";
import { api } from "../../../api/client";
import { unwrap, type TaskStats } from "../../../api/problem";
import { taskKeys } from "./task-cache";

export async function getStats(signal?: AbortSignal): Promise<TaskStats> {
  return unwrap(await api.GET("/api/v1/tasks/stats", { signal }));
}

export const getStatsQueryOptions = () =>
  queryOptions({ queryKey: taskKeys.stats(), queryFn: ({ signal }) => getStats(signal) });

export function useStats() {
  return useQuery(getStatsQueryOptions());
}
