import type { Priority, Status } from "../api/problem";
import { appLocale } from "./dates";

export const STATUSES: Status[] = ["todo", "in_progress", "done"];
export const PRIORITIES: Priority[] = ["low", "medium", "high", "urgent"];
export const STATUS_LABEL: Record<Status, string> = {
  todo: "To do",
  in_progress: "In progress",
  done: "Done",
};
export const PRIORITY_LABEL: Record<Priority, string> = {
  low: "Low",
  medium: "Medium",
  high: "High",
  urgent: "Urgent",
};
export const PRIORITY_CLASS: Record<Priority, string> = {
  low: "bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-200",
  medium: "bg-sky-100 text-sky-800 dark:bg-sky-900 dark:text-sky-100",
  high: "bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100",
  urgent: "bg-rose-100 text-rose-800 dark:bg-rose-900 dark:text-rose-100",
};

export function isOverdue(iso: string | null, status: Status): boolean {
  return !!iso && status !== "done" && new Date(iso).getTime() < Date.now();
}

const RELATIVE_STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["second", 60],
  ["minute", 60],
  ["hour", 24],
  ["day", 7],
  ["week", 4.35],
  ["month", 12],
  ["year", Infinity],
];

/** "2 minutes ago", "yesterday": how long ago `iso` was, seen from `now`. */
export function formatRelative(iso: string, now: number = Date.now()): string {
  let amount = (new Date(iso).getTime() - now) / 1000;
  const format = new Intl.RelativeTimeFormat(appLocale(), { numeric: "auto" });
  for (const [unit, size] of RELATIVE_STEPS) {
    if (Math.abs(amount) < size) return format.format(Math.round(amount), unit);
    amount /= size;
  }
  return format.format(Math.round(amount), "year");
}
