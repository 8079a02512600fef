import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import type { Task } from "../../api/problem";
import { projectKeys } from "../projects/api/project-keys";
import { notificationKeys, type NotificationItem, type NotificationPage } from "../notifications/api/notification-cache";
import { taskKeys, type TaskPages } from "../tasks/api/task-cache";
import { applyEvent, type LiveEvent } from "./apply-event";

function task(id: string, overrides: Partial<Task> = {}): Task {
  return {
    id,
    project_id: "p",
    parent_id: null,
    position: "a0",
    subtasks_total: 0,
    subtasks_done: 0,
    assignee_id: null,
    title: `Task ${id}`,
    description: null,
    status: "todo",
    priority: "medium",
    due_at: null,
    due_date: null,
    completed_at: null,
    tags: [],
    reminder_offsets: null,
    recurrence: null,
    version: 1,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    comment_count: 0,
    ...overrides,
  };
}

const pages = (...items: Task[]): TaskPages => ({ pages: [{ items, next_cursor: null }], pageParams: [null] });
const ALL = taskKeys.list({});
const TODO = taskKeys.list({ status: ["todo"] });
const DONE = taskKeys.list({ status: ["done"] });

const event = (kind: string, payload: unknown, subject = "a"): LiveEvent => ({
  id: `e-${Math.random()}`,
  kind,
  subject_id: subject,
  payload,
  created_at: "2026-01-01T00:00:00Z",
});

function setup() {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
  qc.setQueryData(ALL, pages(task("a"), task("b")));
  qc.setQueryData(TODO, pages(task("a"), task("b")));
  qc.setQueryData(DONE, pages());
  qc.setQueryData(taskKeys.stats(), { total: 2 });
  qc.setQueryData(projectKeys.list(), []);
  const ids = (key: readonly unknown[]) =>
    qc.getQueryData<TaskPages>(key)?.pages.flatMap((p) => p.items.map((t) => `${t.id}:${t.status}:${t.version}`));
  return { qc, ids };
}

describe("applyEvent", () => {
  it("moves a completed task between lists and marks the stats and the projects' counts stale", () => {
    const { qc, ids } = setup();
    const changed = applyEvent(qc, event("task.completed", { task: task("a", { status: "done", version: 2 }) }));
    expect(changed).toBe(true);
    expect(ids(ALL)).toEqual(["a:done:2", "b:todo:1"]);
    expect(ids(TODO)).toEqual(["b:todo:1"]);
    expect(ids(DONE)).toEqual(["a:done:2"]);
    expect(qc.getQueryState(taskKeys.stats())?.isInvalidated).toBe(true);
    expect(qc.getQueryState(projectKeys.list())?.isInvalidated).toBe(true);
  });

  it("skips an event whose version is not newer than the cached one", () => {
    const { qc, ids } = setup();
    qc.setQueryData(ALL, pages(task("a", { title: "mine", version: 3 }), task("b")));
    expect(applyEvent(qc, event("task.updated", { task: task("a", { status: "done", version: 3 }) }))).toBe(false);
    expect(applyEvent(qc, event("task.updated", { task: task("a", { status: "done", version: 2 }) }))).toBe(false);
    expect(ids(ALL)).toEqual(["a:todo:3", "b:todo:1"]);
    expect(ids(DONE)).toEqual([]);
    expect(qc.getQueryState(taskKeys.stats())?.isInvalidated).toBe(false);
  });

  it("inserts a created task and removes a deleted one", () => {
    const { qc, ids } = setup();
    applyEvent(qc, event("task.created", { task: task("c") }, "c"));
    expect(ids(ALL)).toEqual(["c:todo:1", "a:todo:1", "b:todo:1"]);
    expect(ids(DONE)).toEqual([]);
    applyEvent(qc, event("task.deleted", { id: "a" }));
    expect(ids(ALL)).toEqual(["c:todo:1", "b:todo:1"]);
    expect(ids(TODO)).toEqual(["c:todo:1", "b:todo:1"]);
  });

  it("counts a new notification and puts it on top of the cached list, once", () => {
    const qc = new QueryClient();
    const old = { id: "n1" } as NotificationItem;
    const fresh = { id: "n2" } as NotificationItem;
    qc.setQueryData<NotificationPage>(notificationKeys.list(), { items: [old], next_cursor: null });
    qc.setQueryData(notificationKeys.unread(), { unread: 1 });
    applyEvent(qc, event("notification.created", fresh, "n2"));
    applyEvent(qc, event("notification.created", fresh, "n2"));
    expect(qc.getQueryData<NotificationPage>(notificationKeys.list())?.items.map((n) => n.id)).toEqual(["n2", "n1"]);
    expect(qc.getQueryData(notificationKeys.unread())).toEqual({ unread: 2 });
  });
});
