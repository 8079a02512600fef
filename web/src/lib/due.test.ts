// Date-only due dates, read while the browser runs in another zone than the profile's (Los
// Angeles): a day is shown as it is, never moved through a zone.
declare const process: { env: Record<string, string | undefined> };
process.env.TZ = "America/Los_Angeles";

import { describe, expect, it } from "vitest";
import type { Task } from "../api/problem";
import { admits } from "../features/tasks/api/task-cache";
import { listOf } from "../features/tasks/list-of";
import { byDay, todayQuery, upcomingQuery } from "../features/tasks/views";
import { compareDue, dueDay, formatTaskDue, formatTaskDueFull, isTaskOverdue } from "./due";

const task = (over: Partial<Task>): Task =>
  ({
    id: "t",
    title: "A task",
    status: "todo",
    priority: "medium",
    due_at: null,
    due_date: null,
    tags: [],
    ...over,
  }) as Task;

// Thursday 3 December 2026.
const TODAY = "2026-12-03";
const NOW = new Date("2026-12-03T10:00:00Z");
const clock = (zone: string, locale = "en-GB") => ({ zone, locale, today: TODAY });

describe("a date-only task reads as a day, with no time", () => {
  it.each([
    ["2026-12-03", "Today"],
    ["2026-12-04", "Tomorrow"],
    ["2026-12-02", "Yesterday"],
    ["2026-12-05", "Sat"],
    ["2026-12-11", "11 Dec"],
    ["2027-01-15", "15 Jan 2027"],
  ])("%s is %s", (day, text) => {
    for (const zone of ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kolkata", "UTC"]) {
      expect(formatTaskDue(task({ due_date: day }), clock(zone), NOW)).toBe(text);
    }
  });

  it("never shows a time, in a 12-hour locale either", () => {
    const text = formatTaskDue(task({ due_date: "2026-12-04" }), clock("America/New_York", "en-US"), NOW);
    expect(text).toBe("Tomorrow");
    expect(text).not.toMatch(/AM|PM|\d:\d\d/);
  });

  it("shows a timed task with its time in the profile's zone", () => {
    const timed = task({ due_at: "2026-12-04T03:30:00Z" });
    expect(formatTaskDue(timed, clock("Asia/Kolkata"), NOW)).toBe("Tomorrow 09:00");
    expect(formatTaskDue(task({}), clock("UTC"), NOW)).toBe("");
  });

  it("says the whole day in a tooltip", () => {
    expect(formatTaskDueFull(task({ due_date: "2026-12-04" }), clock("Pacific/Pago_Pago"))).toMatch(
      /^Friday,? 4 December 2026 \(all day\)$/,
    );
  });
});

describe("overdue once its day is over in the profile's day", () => {
  it("is due all day today and overdue from tomorrow", () => {
    expect(isTaskOverdue(task({ due_date: TODAY }), TODAY, NOW.getTime())).toBe(false);
    expect(isTaskOverdue(task({ due_date: "2026-12-02" }), TODAY, NOW.getTime())).toBe(true);
    expect(isTaskOverdue(task({ due_date: "2026-12-02", status: "done" }), TODAY, NOW.getTime())).toBe(false);
    expect(isTaskOverdue(task({ due_at: "2026-12-03T09:00:00Z" }), TODAY, NOW.getTime())).toBe(true);
  });
});

describe("Today and Upcoming group date-only tasks on their date", () => {
  it("puts a day's timed tasks first, then its date-only ones, by the profile's day", () => {
    const allDay = task({ id: "all-day", due_date: "2026-12-04" });
    // 23:30 UTC on the 3rd is the 4th in Kolkata, and still the 3rd in Los Angeles (the browser).
    const late = task({ id: "late", due_at: "2026-12-03T23:30:00Z" });
    const morning = task({ id: "morning", due_at: "2026-12-04T03:00:00Z" });
    const days = byDay([allDay, late, morning], "Asia/Kolkata");
    expect([...days.keys()]).toEqual(["2026-12-04"]);
    expect(days.get("2026-12-04")?.map((t) => t.id)).toEqual(["late", "morning", "all-day"]);
    // The date-only task stays on the 4th in any zone; the timed ones move.
    const inPagoPago = byDay([allDay, late, morning], "Pacific/Pago_Pago");
    expect(inPagoPago.get("2026-12-04")?.map((t) => t.id)).toEqual(["all-day"]);
    expect(inPagoPago.get("2026-12-03")?.map((t) => t.id)).toEqual(["late", "morning"]);
  });

  it("orders undated tasks last", () => {
    const sorted = [task({ id: "none" }), task({ id: "day", due_date: "2026-12-05" }), task({ id: "t", due_at: "2026-12-05T08:00:00Z" })]
      .sort((a, b) => compareDue(a, b, "UTC"))
      .map((t) => t.id);
    expect(sorted).toEqual(["t", "day", "none"]);
    expect(dueDay(task({}), "UTC")).toBeNull();
  });

  it("takes a new date-only task into the cached view of its day", () => {
    const zone = "Asia/Kolkata";
    const today = todayQuery(TODAY, zone);
    const upcoming = upcomingQuery(TODAY, zone);
    expect(admits(today, task({ due_date: TODAY }), NOW.getTime())).toBe(true);
    expect(admits(today, task({ due_date: "2026-12-04" }), NOW.getTime())).toBe(false);
    expect(admits(upcoming, task({ due_date: "2026-12-04" }), NOW.getTime())).toBe(true);
    expect(admits({ overdue: true }, task({ due_date: "2026-12-02" }), NOW.getTime())).toBe(true);
    expect(admits({ overdue: true }, task({ due_date: TODAY }), NOW.getTime())).toBe(false);
  });

  it("links a date-only task to the view it shows in", () => {
    expect(listOf(task({ due_date: TODAY }), TODAY, "UTC").name).toBe("Today");
    expect(listOf(task({ due_date: "2026-12-06" }), TODAY, "UTC").name).toBe("Upcoming");
    expect(listOf(task({ due_date: "2027-06-01" }), TODAY, "UTC").name).toBe("Tasks");
  });
});
