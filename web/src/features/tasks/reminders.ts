/** Minutes before the due time the task editor offers (a task's other offsets, set elsewhere, show too). */
export const REMINDER_CHOICES = [0, 5, 15, 30, 60, 120, 1440, 2880, 10080];
/** As many reminders as the API takes for a task. */
export const MAX_REMINDERS = 5;

const UNITS: [number, string][] = [
  [10080, "week"],
  [1440, "day"],
  [60, "hour"],
  [1, "minute"],
];

/** "At the due time", "15 minutes before", "1 day before"… */
export function reminderLabel(minutes: number): string {
  if (minutes === 0) return "At the due time";
  const [size, unit] = UNITS.find(([size]) => minutes % size === 0) ?? [1, "minute"];
  const n = minutes / size;
  return `${n} ${unit}${n === 1 ? "" : "s"} before`;
}
