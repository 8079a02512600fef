import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import type { Task } from "../../../api/problem";
import { makeTask } from "../../../test/app-harness";
import { taskKeys, type TaskPages } from "../../tasks/api/task-cache";
import { applyCommentEvent, commentKeys, type Comment, type CommentPages } from "./comment-cache";

const comment: Comment = {
  id: "c1",
  task_id: "t1",
  author_id: "ana",
  author_name: "Ana",
  body: "on my way",
  created_at: "2026-01-02T10:00:00Z",
  edited_at: null,
};

function cache() {
  const qc = new QueryClient();
  const list: TaskPages = { pages: [{ items: [makeTask("t1"), makeTask("t2")], next_cursor: null }], pageParams: [null] };
  qc.setQueryData(taskKeys.list({}), list);
  qc.setQueryData<Task>(taskKeys.detail("t1"), makeTask("t1"));
  qc.setQueryData<CommentPages>(commentKeys.of("t1"), { pages: [{ items: [], next_cursor: null }], pageParams: [null] });
  return qc;
}

const counts = (qc: QueryClient) =>
  qc.getQueryData<TaskPages>(taskKeys.list({}))?.pages[0]?.items.map((t) => t.comment_count);
const bodies = (qc: QueryClient) => qc.getQueryData<CommentPages>(commentKeys.of("t1"))?.pages.flatMap((p) => p.items.map((c) => c.body));

describe("live comment events", () => {
  it("add a comment once, and set the task's count in the lists and on its page", () => {
    const qc = cache();
    const added = { task_id: "t1", comment, comment_count: 1 };
    expect(applyCommentEvent(qc, "comment.added", added)).toBe(true);
    applyCommentEvent(qc, "comment.added", added); // a replay after a reconnect
    expect(bodies(qc)).toEqual(["on my way"]);
    expect(counts(qc)).toEqual([1, 0]);
    expect(qc.getQueryData<Task>(taskKeys.detail("t1"))?.comment_count).toBe(1);
  });

  it("change an edited comment and drop a deleted one", () => {
    const qc = cache();
    applyCommentEvent(qc, "comment.added", { task_id: "t1", comment, comment_count: 1 });
    applyCommentEvent(qc, "comment.edited", { task_id: "t1", comment: { ...comment, body: "there soon" } });
    expect(bodies(qc)).toEqual(["there soon"]);
    applyCommentEvent(qc, "comment.deleted", { task_id: "t1", id: "c1", comment_count: 0 });
    expect(bodies(qc)).toEqual([]);
    expect(counts(qc)).toEqual([0, 0]);
  });

  it("ignore an event without its task", () => {
    expect(applyCommentEvent(cache(), "comment.added", { comment })).toBe(false);
  });
});
