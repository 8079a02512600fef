import type { InfiniteData, QueryClient } from "@tanstack/react-query";
import type { components } from "../../../api/schema";
import type { Task } from "../../../api/problem";
import { taskKeys, type TaskPages } from "../../tasks/api/task-cache";

export type Comment = components["schemas"]["CommentOut"];
export type CommentPage = components["schemas"]["CommentPage"];
export type HistoryEntry = components["schemas"]["HistoryEntry"];
export type HistoryPage = components["schemas"]["HistoryPage"];
export type CommentPages = InfiniteData<CommentPage, string | null>;

/** Query keys of the comments feature (a task's history is `taskKeys.history`). */
export const commentKeys = {
  all: ["comments"] as const,
  of: (taskId: string) => ["comments", taskId] as const,
};

/** The task's comment count, in every cached list and in its own page, as the server gave it. */
export function setCommentCount(qc: QueryClient, taskId: string, count: number): void {
  qc.setQueriesData<TaskPages>({ queryKey: taskKeys.lists() }, (data) =>
    data && data.pages.some((p) => p.items.some((t) => t.id === taskId && t.comment_count !== count))
      ? {
          ...data,
          pages: data.pages.map((p) => ({
            ...p,
            items: p.items.map((t) => (t.id === taskId ? { ...t, comment_count: count } : t)),
          })),
        }
      : data,
  );
  qc.setQueryData<Task>(taskKeys.detail(taskId), (task) => (task ? { ...task, comment_count: count } : task));
}

/** A comment added at the end of the task's comments (once: a live event may repeat it). */
export function appendComment(qc: QueryClient, comment: Comment): void {
  qc.setQueryData<CommentPages>(commentKeys.of(comment.task_id), (data) => {
    if (!data || data.pages.some((p) => p.items.some((c) => c.id === comment.id))) return data;
    const last = data.pages[data.pages.length - 1];
    // A list with more pages to read gets it when it reads them.
    if (!last || last.next_cursor !== null) return data;
    return { ...data, pages: [...data.pages.slice(0, -1), { ...last, items: [...last.items, comment] }] };
  });
}

export function replaceComment(qc: QueryClient, comment: Comment): void {
  qc.setQueryData<CommentPages>(commentKeys.of(comment.task_id), (data) =>
    data
      ? { ...data, pages: data.pages.map((p) => ({ ...p, items: p.items.map((c) => (c.id === comment.id ? comment : c)) })) }
      : data,
  );
}

export function removeComment(qc: QueryClient, taskId: string, commentId: string): void {
  qc.setQueryData<CommentPages>(commentKeys.of(taskId), (data) =>
    data ? { ...data, pages: data.pages.map((p) => ({ ...p, items: p.items.filter((c) => c.id !== commentId) })) } : data,
  );
}

interface CommentEventPayload {
  task_id?: string;
  comment?: Comment;
  id?: string;
  comment_count?: number;
}

/**
 * A live `comment.added`, `comment.edited` or `comment.deleted` event (another member's, or
 * this user's from another tab) applied to the cache in place. Returns whether it changed anything.
 */
export function applyCommentEvent(qc: QueryClient, kind: string, payload: unknown): boolean {
  const p = (payload ?? {}) as CommentEventPayload;
  if (!p.task_id) return false;
  if (kind === "comment.added" && p.comment) appendComment(qc, p.comment);
  else if (kind === "comment.edited" && p.comment) replaceComment(qc, p.comment);
  else if (kind === "comment.deleted" && p.id) removeComment(qc, p.task_id, p.id);
  else return false;
  if (typeof p.comment_count === "number") setCommentCount(qc, p.task_id, p.comment_count);
  return true;
}
