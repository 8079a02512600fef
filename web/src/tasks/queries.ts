import {
  useInfiniteQuery,
  useQuery,
  type InfiniteData,
  type QueryClient,
} from "@tanstack/react-query";
import { api } from "../api/client";
import { unwrap, type Task, type TaskPage } from "../api/problem";
import type { ListQuery } from "./filters";

export const TASKS_KEY = ["tasks"] as const;
export const listKey = (query: ListQuery) => ["tasks", "list", query] as const;
export const STATS_KEY = ["tasks", "stats"] as const;

type Pages = InfiniteData<TaskPage, string | null>;

export function useTaskList(query: ListQuery) {
  return useInfiniteQuery({
    queryKey: listKey(query),
    queryFn: async ({ pageParam, signal }) =>
      unwrap(
        await api.GET("/api/v1/tasks", {
          params: { query: pageParam ? { ...query, cursor: pageParam } : query },
          signal,
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
}

export function useStats() {
  return useQuery({
    queryKey: STATS_KEY,
    queryFn: async ({ signal }) => unwrap(await api.GET("/api/v1/tasks/stats", { signal })),
  });
}

function queryOf(key: readonly unknown[]): ListQuery | undefined {
  return key[1] === "list" ? (key[2] as ListQuery) : undefined;
}

function admits(query: ListQuery | undefined, task: Task): boolean {
  return !query?.status?.length || query.status.includes(task.status);
}

export interface CacheSnapshot {
  restore: () => void;
}

/** Remembers every task list so an optimistic change can be undone. */
export function snapshot(qc: QueryClient): CacheSnapshot {
  const saved = qc.getQueriesData<Pages>({ queryKey: [...TASKS_KEY, "list"] });
  return {
    restore: () => {
      for (const [key, data] of saved) qc.setQueryData(key, data);
    },
  };
}

/**
 * Puts a changed task into every cached list: replaced where it is, dropped from lists whose
 * status filter no longer admits it, added on top of a status list it newly belongs to.
 */
export function putTask(qc: QueryClient, task: Task): void {
  for (const [key, data] of qc.getQueriesData<Pages>({ queryKey: [...TASKS_KEY, "list"] })) {
    if (!data) continue;
    const query = queryOf(key);
    const present = data.pages.some((p) => p.items.some((t) => t.id === task.id));
    const fits = admits(query, task);
    let pages = data.pages.map((page) => ({
      ...page,
      items: fits
        ? page.items.map((t) => (t.id === task.id ? task : t))
        : page.items.filter((t) => t.id !== task.id),
    }));
    if (!present && fits && query?.status?.length && pages[0]) {
      pages = [{ ...pages[0], items: [task, ...pages[0].items] }, ...pages.slice(1)];
    }
    qc.setQueryData<Pages>(key, { ...data, pages });
  }
}

export function dropTasks(qc: QueryClient, ids: ReadonlySet<string>): void {
  qc.setQueriesData<Pages>({ queryKey: [...TASKS_KEY, "list"] }, (data) =>
    data
      ? {
          ...data,
          pages: data.pages.map((p) => ({ ...p, items: p.items.filter((t) => !ids.has(t.id)) })),
        }
      : data,
  );
}

export function addTask(qc: QueryClient, task: Task): void {
  for (const [key, data] of qc.getQueriesData<Pages>({ queryKey: [...TASKS_KEY, "list"] })) {
    const query = queryOf(key);
    if (!data?.pages[0] || !admits(query, task) || query?.q || query?.tag || query?.overdue) continue;
    const [first, ...rest] = data.pages;
    qc.setQueryData<Pages>(key, { ...data, pages: [{ ...first, items: [task, ...first.items] }, ...rest] });
  }
}

export function findTask(qc: QueryClient, id: string): Task | undefined {
  for (const [, data] of qc.getQueriesData<Pages>({ queryKey: [...TASKS_KEY, "list"] })) {
    for (const page of data?.pages ?? []) {
      const found = page.items.find((t) => t.id === id);
      if (found) return found;
    }
  }
  return undefined;
}

export const etag = (task: Task) => `"${task.version}"`;
