import { QueryClient } from "@tanstack/react-query";
import { expect, it } from "vitest";
import type { Task } from "../../api/problem";
import { projectKeys, type Project } from "../projects/api/project-keys";
import { taskKeys, type TaskPages } from "../tasks/api/task-cache";
import { applyEvent, type LiveEvent } from "./apply-event";

const task = (id: string, project_id: string) => ({ id, project_id, status: "todo", version: 1 }) as Task;
const pages = (...items: Task[]): TaskPages => ({ pages: [{ items, next_cursor: null }], pageParams: [null] });
const ALL = taskKeys.list({});
const event = (kind: string, payload: unknown, subject: string): LiveEvent => ({
  id: `e-${Math.random()}`,
  kind,
  subject_id: subject,
  payload,
  created_at: "2026-01-01T00:00:00Z",
});

function setup(projects: string[]) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
  qc.setQueryData(ALL, pages(task("a", "shared"), task("b", "shared"), task("c", "inbox")));
  qc.setQueryData(projectKeys.list(), projects.map((id) => ({ id }) as Project));
  qc.setQueryData(projectKeys.members("shared"), { members: [], invitations: [] });
  const ids = () => qc.getQueryData<TaskPages>(ALL)?.pages.flatMap((p) => p.items.map((t) => t.id));
  const stale = (key: readonly unknown[]) => qc.getQueryState(key)?.isInvalidated;
  return { qc, ids, stale };
}

it("drops a task moved to a project the user is not in, and keeps one moved to a project they are in", () => {
  const outside = setup(["shared", "inbox"]);
  applyEvent(outside.qc, event("task.moved", { id: "a", project_id: "shared", to_project_id: "private" }, "a"));
  expect(outside.ids()).toEqual(["b", "c"]);
  expect(outside.stale(projectKeys.list())).toBe(true);

  const inside = setup(["shared", "inbox", "private"]);
  applyEvent(inside.qc, event("task.moved", { id: "a", project_id: "shared", to_project_id: "private" }, "a"));
  expect(inside.ids()).toEqual(["a", "b", "c"]);
});

it("drops a deleted project's tasks and refreshes the projects", () => {
  const { qc, ids, stale } = setup(["shared", "inbox"]);
  applyEvent(qc, event("project.deleted", { id: "shared", member_ids: [] }, "shared"));
  expect(ids()).toEqual(["c"]);
  expect(stale(projectKeys.list())).toBe(true);
});

it("refreshes the projects and their members on a project's changes, and the lists on a removal", () => {
  const { qc, ids, stale } = setup(["shared", "inbox"]);
  applyEvent(qc, event("project.member_added", { project_id: "shared", member_id: "u2", role: "editor" }, "shared"));
  expect(stale(projectKeys.list())).toBe(true);
  expect(stale(projectKeys.members("shared"))).toBe(true);
  expect(stale(ALL)).toBe(false);
  applyEvent(qc, event("project.member_removed", { project_id: "shared", member_id: "u2" }, "shared"));
  expect(stale(ALL)).toBe(true); // perhaps this user: refetched without the project
  expect(ids()).toEqual(["a", "b", "c"]);
});
