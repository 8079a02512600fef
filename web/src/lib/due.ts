import type { Status } from "../api/problem";
import { dayOf, formatDay, formatDue, formatFull } from "./dates";

/**
 * A task is due at a time (`due_at`) or on a day (`due_date`, "due Friday": no time). The day is
 * a date of the owner's calendar (the API defines it once, in the owner's zone): it is shown as
 * it is, never moved through a zone, and it is over when that day is over.
 */
export interface Due {
  due_at: string | null;
  due_date?: string | null | undefined;
}

interface ClockLike {
  zone: string;
  locale: string;
  today: string;
}

/** The day a task is due: its date, or the day its time falls on in the zone. */
export function dueDay(task: Due, zone: string): string | null {
  if (task.due_date) return task.due_date;
  return task.due_at ? dayOf(task.due_at, zone) : null;
}

/** Whether a task has a due date, with or without a time. */
export function hasDue(task: Due): boolean {
  return !!(task.due_at || task.due_date);
}

/** Open and past due: a timed task once its time has passed, a date-only one once its day is over. */
export function isTaskOverdue(task: Due & { status: Status }, today: string, now: number = Date.now()): boolean {
  if (task.status === "done") return false;
  if (task.due_date) return task.due_date < today;
  return !!task.due_at && new Date(task.due_at).getTime() < now;
}

/** "Friday", "Tomorrow" for a date-only task; "Fri 17:30" for a timed one; "" without a due date. */
export function formatTaskDue(task: Due, clock: ClockLike, now: Date = new Date()): string {
  if (task.due_date) return formatDay(task.due_date, clock.today, clock.locale, { short: true });
  return formatDue(task.due_at, { zone: clock.zone, locale: clock.locale, now });
}

/** The whole due date for a tooltip: "Friday 4 December 2026 (all day)", or the date and time with the zone. */
export function formatTaskDueFull(task: Due, clock: ClockLike): string {
  if (task.due_date) {
    const [y = 1970, m = 1, d = 1] = task.due_date.split("-").map(Number);
    const text = new Intl.DateTimeFormat(clock.locale, { dateStyle: "full", timeZone: "UTC" }).format(
      new Date(Date.UTC(y, m - 1, d, 12)),
    );
    return `${text} (all day)`;
  }
  return task.due_at ? formatFull(task.due_at, clock.zone, clock.locale) : "";
}

/**
 * Orders tasks by when they are due: by day, a day's timed tasks by time and then its date-only
 * ones (as the API sorts them), undated ones last.
 */
export function compareDue(a: Due, b: Due, zone: string): number {
  const dayA = dueDay(a, zone);
  const dayB = dueDay(b, zone);
  if (dayA !== dayB) {
    if (dayA === null) return 1;
    if (dayB === null) return -1;
    return dayA < dayB ? -1 : 1;
  }
  const time = (t: Due) => (t.due_at && !t.due_date ? new Date(t.due_at).getTime() : Infinity);
  const diff = time(a) - time(b);
  return Number.isNaN(diff) ? 0 : diff;
}
