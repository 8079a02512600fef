import type { InfiniteData, QueryClient } from "@tanstack/react-query";
import type { Task, TaskPage } from "../../../api/problem";
import { projectKeys } from "../../projects/api/project-keys";
import type { ListQuery } from "../filters";

/**
 * Query keys of the tasks feature, and the helpers its mutations use to change the cached lists
 * in place (optimistically, then with the server's answer).
 */
export const taskKeys = {
  all: ["tasks"] as const,
  lists: () => ["tasks", "list"] as const,
  list: (query: ListQuery) => ["tasks", "list", query] as const,
  stats: () => ["tasks", "stats"] as const,
  /** One task, for its page (/tasks/:id), and its history of changes. */
  detail: (id: string) => ["tasks", "detail", id] as const,
  history: (id: string) => ["tasks", "history", id] as const,
};

export type TaskPages = InfiniteData<TaskPage, string | null>;

function queryOf(key: readonly unknown[]): ListQuery | undefined {
  return key[1] === "list" ? (key[2] as ListQuery) : undefined;
}

/** Whether a list's filters admit the task, as far as the client can tell (not searches or tags). */
export function admits(query: ListQuery | undefined, task: Task, now: number = Date.now()): boolean {
  if (query?.project_id && task.project_id !== query.project_id) return false;
  if (query?.top_level && task.parent_id) return false;
  if (query?.assignee === "me" && task.assignee_id === null) return false;
  if (query?.status?.length && !query.status.includes(task.status)) return false;
  if (query?.priority?.length && !query.priority.includes(task.priority)) return false;
  const due = dueInstant(task);
  if (query?.due_after && (due === null || due < new Date(query.due_after).getTime())) return false;
  if (query?.due_before && (due === null || due >= new Date(query.due_before).getTime())) return false;
  const past = task.due_date ? task.due_date < new Date(now).toISOString().slice(0, 10) : due !== null && due < now;
  if (query?.overdue && (!past || task.status === "done")) return false;
  return true;
}

/**
 * Where a task falls among a list's day bounds: its due time, or, for a date-only task, noon UTC
 * of its date (within its day for every zone the bounds are worked out in but the most extreme;
 * the server's answer, fetched after every change, has the last word).
 */
function dueInstant(task: Task): number | null {
  if (task.due_date) return new Date(`${task.due_date}T12:00:00Z`).getTime();
  return task.due_at ? new Date(task.due_at).getTime() : null;
}

export interface CacheSnapshot {
  restore: () => void;
}

/** Remembers every task list so an optimistic change can be undone. */
export function snapshot(qc: QueryClient): CacheSnapshot {
  const saved = qc.getQueriesData<TaskPages>({ queryKey: taskKeys.lists() });
  return {
    restore: () => {
      for (const [key, data] of saved) qc.setQueryData(key, data);
    },
  };
}

/**
 * Stops list fetches in flight so their answers cannot overwrite an optimistic change. Lists
 * still loading their first page are left alone: cancelling those would leave them empty.
 */
export async function cancelListFetches(qc: QueryClient): Promise<void> {
  await qc.cancelQueries({ queryKey: taskKeys.lists(), predicate: (q) => q.state.data !== undefined });
}

/**
 * Puts a changed task into every cached list: replaced where it is, dropped from lists whose
 * status filter no longer admits it, added on top of a status list it newly belongs to.
 */
export function putTask(qc: QueryClient, task: Task): void {
  for (const [key, data] of qc.getQueriesData<TaskPages>({ queryKey: taskKeys.lists() })) {
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
    // A list filtered by status or due date takes a task that newly fits (the Today list, a column).
    if (!present && fits && (query?.status?.length || query?.due_before) && !query.q && !query.tag && pages[0]) {
      pages = [{ ...pages[0], items: [task, ...pages[0].items] }, ...pages.slice(1)];
    }
    qc.setQueryData<TaskPages>(key, { ...data, pages });
  }
  // Its page, unless that holds a newer version; the page's history is read again.
  qc.setQueryData<Task>(taskKeys.detail(task.id), (old) => (old && old.version > task.version ? old : old && task));
  void qc.invalidateQueries({ queryKey: taskKeys.history(task.id) });
}

export function dropTasks(qc: QueryClient, ids: ReadonlySet<string>): void {
  qc.setQueriesData<TaskPages>({ queryKey: taskKeys.lists() }, (data) =>
    data
      ? {
          ...data,
          pages: data.pages.map((p) => ({ ...p, items: p.items.filter((t) => !ids.has(t.id)) })),
        }
      : data,
  );
}

/** A new task goes on top of every list it belongs to (not searches: the server decides those). */
export function addTask(qc: QueryClient, task: Task): void {
  for (const [key, data] of qc.getQueriesData<TaskPages>({ queryKey: taskKeys.lists() })) {
    const query = queryOf(key);
    if (!data?.pages[0] || !admits(query, task) || query?.q || query?.tag || query?.overdue || query?.assignee) continue;
    const [first, ...rest] = data.pages;
    qc.setQueryData<TaskPages>(key, { ...data, pages: [{ ...first, items: [task, ...first.items] }, ...rest] });
  }
}

export function findTask(qc: QueryClient, id: string): Task | undefined {
  for (const [, data] of qc.getQueriesData<TaskPages>({ queryKey: taskKeys.lists() })) {
    for (const page of data?.pages ?? []) {
      const found = page.items.find((t) => t.id === id);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * After a write: the counts (the projects' open counts too) are refetched now; the lists, already patched in place, are only
 * marked stale, so they refetch the next time they are shown rather than under the user's eyes.
 */
export async function invalidateAfterWrite(qc: QueryClient): Promise<void> {
  await Promise.all([
    qc.invalidateQueries({ queryKey: taskKeys.stats() }),
    qc.invalidateQueries({ queryKey: projectKeys.list() }),
    qc.invalidateQueries({ queryKey: taskKeys.lists(), refetchType: "none" }),
  ]);
}

/** The entity tag of the version the client holds, for If-Match. */
export const etag = (task: Task) => `"${task.version}"`;
