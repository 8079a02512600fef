import type { Status, Task } from "../../api/problem";
import { addDays, startOfDay } from "../../lib/dates";
import { compareDue, dueDay } from "../../lib/due";
import type { ListQuery } from "./filters";

/**
 * The Today and Upcoming views as queries of GET /api/v1/tasks, their day bounds worked out in
 * the profile's zone (so a task due at 00:30 tomorrow is not due today).
 */
const OPEN: Status[] = ["todo", "in_progress"];
/** Upcoming covers the next week, from tomorrow. */
export const UPCOMING_DAYS = 7;
const LIMIT = 100;

/** Overdue and due today: open tasks due before tomorrow starts. */
export function todayQuery(today: string, zone: string): ListQuery {
  return {
    status: OPEN,
    due_before: startOfDay(addDays(today, 1), zone).toISOString(),
    sort: "due_at",
    limit: LIMIT,
  };
}

/** Open tasks due in the next UPCOMING_DAYS days, from tomorrow. */
export function upcomingQuery(today: string, zone: string): ListQuery {
  return {
    status: OPEN,
    due_after: startOfDay(addDays(today, 1), zone).toISOString(),
    due_before: startOfDay(addDays(today, 1 + UPCOMING_DAYS), zone).toISOString(),
    sort: "due_at",
    limit: LIMIT,
  };
}

/**
 * Tasks by the day they are due in the zone (a date-only task on its date, as it is), in order of
 * due time, each day's date-only tasks after its timed ones.
 */
export function byDay(tasks: Task[], zone: string): Map<string, Task[]> {
  const days = new Map<string, Task[]>();
  const sorted = [...tasks].sort((a, b) => compareDue(a, b, zone));
  for (const task of sorted) {
    const day = dueDay(task, zone);
    if (!day) continue;
    days.set(day, [...(days.get(day) ?? []), task]);
  }
  return days;
}
