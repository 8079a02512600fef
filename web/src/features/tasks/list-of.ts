import { dayOf, daysBetween } from "../../lib/dates";
import { UPCOMING_DAYS } from "./views";

/** The list a due task shows in: Today (overdue or due today), Upcoming (the coming week), else every task by due date. */
export function listOf(dueAt: string, today: string, zone: string): { to: string; name: string } {
  const day = dayOf(dueAt, zone);
  if (day <= today) return { to: "/today", name: "Today" };
  if (daysBetween(today, day) <= UPCOMING_DAYS) return { to: "/upcoming", name: "Upcoming" };
  return { to: "/tasks?status=todo&status=in_progress&sort=due_at", name: "Tasks" };
}
