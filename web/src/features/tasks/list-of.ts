import { dayOf, daysBetween } from "../../lib/dates";
import { dueDay, type Due } from "../../lib/due";
import { UPCOMING_DAYS } from "./views";

/** The list a due task shows in: Today (overdue or due today), Upcoming (the coming week), else every task by due date. */
export function listOf(due: string | Due, today: string, zone: string): { to: string; name: string } {
  const day = typeof due === "string" ? dayOf(due, zone) : (dueDay(due, zone) ?? "9999-12-31");
  if (day <= today) return { to: "/today", name: "Today" };
  if (daysBetween(today, day) <= UPCOMING_DAYS) return { to: "/upcoming", name: "Upcoming" };
  return { to: "/tasks?status=todo&status=in_progress&sort=due_at", name: "Tasks" };
}
