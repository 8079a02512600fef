import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import type { Task } from "../../api/problem";
import { addTask, admits, putTask, taskKeys, type TaskPages } from "./api/task-cache";
import { byDay, todayQuery, upcomingQuery } from "./views";

const task = (over: Partial<Task>): Task =>
  ({
  id: "t1",
  title: "Call the bank",
  description: null,
  status: "todo",
  priority: "medium",
  due_at: null,
  completed_at: null,
  tags: [],
  version: 1,
  created_at: "2026-12-01T10:00:00Z",
  updated_at: "2026-12-01T10:00:00Z",
    ...over,
  }) as Task;

describe("Today and Upcoming, in the profile's day", () => {
  it("bounds Today at the end of the zone's day", () => {
    expect(todayQuery("2026-12-03", "Asia/Kolkata")).toMatchObject({
      status: ["todo", "in_progress"],
      due_before: "2026-12-03T18:30:00.000Z",
      sort: "due_at",
    });
  });

  it("makes Upcoming the next seven days from tomorrow", () => {
    expect(upcomingQuery("2026-12-03", "Europe/Berlin")).toMatchObject({
      due_after: "2026-12-03T23:00:00.000Z",
      due_before: "2026-12-10T23:00:00.000Z",
    });
  });

  it("groups by the zone's day, in due order", () => {
    const late = task({ id: "a", due_at: "2026-12-03T23:30:00Z" }); // the 4th in Berlin
    const early = task({ id: "b", due_at: "2026-12-03T08:00:00Z" });
    const days = byDay([late, early], "Europe/Berlin");
    expect([...days.keys()]).toEqual(["2026-12-03", "2026-12-04"]);
    expect(byDay([late, early], "America/Los_Angeles").get("2026-12-03")?.map((t) => t.id)).toEqual(["b", "a"]);
  });
});

describe("cached lists take what fits their due range", () => {
  const query = todayQuery("2026-12-03", "Europe/Berlin");

  it("admits by status and due range", () => {
    expect(admits(query, task({ due_at: "2026-12-03T20:00:00Z" }))).toBe(true);
    expect(admits(query, task({ due_at: "2026-12-03T23:30:00Z" }))).toBe(false);
    expect(admits(query, task({ due_at: null }))).toBe(false);
    expect(admits(query, task({ due_at: "2026-12-03T20:00:00Z", status: "done" }))).toBe(false);
  });

  it("adds a new task due today to Today, not one due tomorrow; moves one whose due date changed", () => {
    const qc = new QueryClient();
    const key = taskKeys.list(query);
    qc.setQueryData<TaskPages>(key, { pages: [{ items: [], next_cursor: null }], pageParams: [null] });
    const titles = () => qc.getQueryData<TaskPages>(key)?.pages[0]?.items.map((t) => t.title);
    addTask(qc, task({ id: "x", title: "Tomorrow's", due_at: "2026-12-03T23:30:00Z" }));
    addTask(qc, task({ id: "y", title: "Today's", due_at: "2026-12-03T20:00:00Z" }));
    expect(titles()).toEqual(["Today's"]);
    putTask(qc, task({ id: "y", title: "Today's", due_at: "2026-12-05T10:00:00Z", version: 2 }));
    expect(titles()).toEqual([]);
    putTask(qc, task({ id: "x", title: "Tomorrow's", due_at: "2026-12-03T12:00:00Z", version: 2 }));
    expect(titles()).toEqual(["Tomorrow's"]);
  });
});
