import type { QueryClient } from "@tanstack/react-query";
import type { Task } from "../../api/problem";
import {
  notificationKeys,
  type NotificationItem,
  type NotificationPage,
  type UnreadCount,
} from "../notifications/api/notification-cache";
import { applyCommentEvent } from "../comments/api/comment-cache";
import { projectKeys, type Project } from "../projects/api/project-keys";
import { addTask, dropTasks, putTask, taskKeys, type TaskPages } from "../tasks/api/task-cache";
import { dropFromTrash, trashKeys } from "../tasks/api/trash-cache";

/** The body (`data:`) of an event of GET /api/v1/events. */
export interface LiveEvent {
  id: string;
  kind: string;
  subject_id: string;
  payload: unknown;
  created_at: string;
}

/** The ids of the cached tasks of a project. */
function tasksOf(qc: QueryClient, projectId: string): Set<string> {
  const ids = new Set<string>();
  for (const [, data] of qc.getQueriesData<TaskPages>({ queryKey: taskKeys.lists() })) {
    for (const page of data?.pages ?? []) for (const t of page.items) if (t.project_id === projectId) ids.add(t.id);
  }
  return ids;
}

/** The highest version of a task any cached list holds, or undefined when none holds it. */
function cachedVersion(qc: QueryClient, id: string): number | undefined {
  let version: number | undefined;
  for (const [, data] of qc.getQueriesData<TaskPages>({ queryKey: taskKeys.lists() })) {
    for (const page of data?.pages ?? []) {
      for (const t of page.items) if (t.id === id && (version === undefined || t.version > version)) version = t.version;
    }
  }
  return version;
}

/**
 * Applies one live event to the cache in place (no refetch of the lists, so nothing flickers).
 * Returns whether it changed anything: a task event whose version is not newer than the cached
 * one (the user's own change, already applied optimistically or from the PATCH answer) is skipped.
 */
export function applyEvent(qc: QueryClient, event: LiveEvent): boolean {
  switch (event.kind) {
    case "task.created":
    case "task.updated":
    case "task.completed":
    case "task.reopened":
    case "task.restored": {
      const task = (event.payload as { task?: Task } | null)?.task;
      if (!task?.id) return false;
      const cached = cachedVersion(qc, task.id);
      if (cached !== undefined && cached >= task.version) return false;
      if (cached === undefined && (event.kind === "task.created" || event.kind === "task.restored")) addTask(qc, task);
      else putTask(qc, task);
      if (event.kind === "task.restored") dropFromTrash(qc, new Set([task.id]));
      void qc.invalidateQueries({ queryKey: taskKeys.stats() });
      void qc.invalidateQueries({ queryKey: projectKeys.list() });
      return true;
    }
    case "task.deleted": {
      const id = (event.payload as { id?: string } | null)?.id ?? event.subject_id;
      dropTasks(qc, new Set([id]));
      void qc.invalidateQueries({ queryKey: taskKeys.stats() });
      void qc.invalidateQueries({ queryKey: projectKeys.list() });
      // It went to the trash: an open Trash view shows it.
      void qc.invalidateQueries({ queryKey: trashKeys.all });
      return true;
    }
    case "task.purged": {
      const id = (event.payload as { id?: string } | null)?.id ?? event.subject_id;
      dropFromTrash(qc, new Set([id]));
      return true;
    }
    case "task.moved": {
      // It left a project of this user's: gone from their lists unless they are a member of the
      // project it went to (whose task.updated has put it in place already).
      const moved = event.payload as { id?: string; to_project_id?: string } | null;
      const mine = qc.getQueryData<Project[]>(projectKeys.list());
      if (!mine?.some((p) => p.id === moved?.to_project_id)) dropTasks(qc, new Set([moved?.id ?? event.subject_id]));
      void qc.invalidateQueries({ queryKey: taskKeys.stats() });
      void qc.invalidateQueries({ queryKey: projectKeys.list() });
      return true;
    }
    case "project.deleted":
      dropTasks(qc, tasksOf(qc, event.subject_id));
      void qc.invalidateQueries({ queryKey: taskKeys.stats() });
      void qc.invalidateQueries({ queryKey: projectKeys.list() });
      return true;
    case "project.member_removed":
      // Perhaps this user: the lists refetch (those shown now, at once) without the project's tasks.
      void qc.invalidateQueries({ queryKey: taskKeys.lists() });
      void qc.invalidateQueries({ queryKey: taskKeys.stats() });
      void qc.invalidateQueries({ queryKey: projectKeys.all });
      return true;
    case "project.created":
    case "project.updated":
    case "project.archived":
    case "project.restored":
    case "project.member_added":
    case "project.member_updated":
    case "project.invited":
      void qc.invalidateQueries({ queryKey: projectKeys.all });
      return true;
    case "notification.created": {
      const item = event.payload as NotificationItem;
      const list = qc.getQueryData<NotificationPage>(notificationKeys.list());
      // A replay after a reconnect may bring one the list already holds: count it once.
      if (list?.items.some((n) => n.id === item.id)) return false;
      if (list) qc.setQueryData<NotificationPage>(notificationKeys.list(), { ...list, items: [item, ...list.items] });
      qc.setQueryData<UnreadCount>(notificationKeys.unread(), (old) => (old ? { ...old, unread: old.unread + 1 } : old));
      return true;
    }
    case "comment.added":
    case "comment.edited":
    case "comment.deleted":
      return applyCommentEvent(qc, event.kind, event.payload);
    default:
      return false;
  }
}
