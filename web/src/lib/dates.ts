import { TZDateMini } from "@date-fns/tz";

/**
 * One clock for the whole app: every date is shown and entered in the profile's time zone (not
 * the browser's), and read the way people say it. Calendar days travel as "yyyy-mm-dd" strings,
 * instants as ISO strings or Dates; @date-fns/tz does the zone arithmetic (offsets, DST gaps).
 */

/** The zone this browser runs in (what a new account starts with). */
export function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** The locale chosen in settings (preferences.locale), or null for "auto". */
let chosenLocale: string | null = null;

/** Makes `locale` ("auto" or an English variant) the one every date is written in. */
export function chooseLocale(locale: string | null | undefined): void {
  chosenLocale = locale && locale !== "auto" ? locale : null;
}

/**
 * The locale of every date the app writes: the one chosen in settings; else, since the interface
 * is English, the browser's English variant (12- or 24-hour clock as its user is used to), else
 * British English.
 */
export function appLocale(languages: readonly string[] = typeof navigator === "undefined" ? [] : navigator.languages): string {
  if (chosenLocale) return chosenLocale;
  const english = languages.find((l) => /^en(-|$)/i.test(l));
  return english ?? "en-GB";
}

const pad = (n: number) => String(n).padStart(2, "0");

function zoned(instant: Date | string | number, zone: string): Date {
  return new TZDateMini(new Date(instant).getTime(), zone);
}

/** The calendar day an instant falls on in a zone: "2026-12-03". */
export function dayOf(instant: Date | string | number, zone: string): string {
  const d = zoned(instant, zone);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function parts(day: string): [number, number, number] {
  const [y, m, d] = day.split("-").map(Number);
  return [y ?? 1970, (m ?? 1) - 1, d ?? 1];
}

/** The day `n` days after `day` (calendar arithmetic, no zone involved). */
export function addDays(day: string, n: number): string {
  const [y, m, d] = parts(day);
  const date = new Date(Date.UTC(y, m, d + n));
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  const [y1, m1, d1] = parts(from);
  const [y2, m2, d2] = parts(to);
  return Math.round((Date.UTC(y2, m2, d2) - Date.UTC(y1, m1, d1)) / 86_400_000);
}

/** The instant a calendar day starts in a zone (its first existing minute on a DST day). */
export function startOfDay(day: string, zone: string): Date {
  const [y, m, d] = parts(day);
  return new Date(new TZDateMini(y, m, d, zone).getTime());
}

/** The instant of a wall-clock time in a zone. */
export function wallTime(day: string, hour: number, minute: number, zone: string): Date {
  const [y, m, d] = parts(day);
  return new Date(new TZDateMini(y, m, d, hour, minute, zone).getTime());
}

/** The zone's offset from UTC at an instant, in minutes (east positive: Kolkata is 330). */
export function offsetMinutes(zone: string, at: Date = new Date()): number {
  return -zoned(at, zone).getTimezoneOffset();
}

/** "2025-03-04T10:00", the value of a datetime-local input, in the zone. */
export function toZonedInput(iso: string | null, zone: string): string {
  if (!iso) return "";
  const d = zoned(iso, zone);
  return `${dayOf(iso, zone)}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local input's value, read as wall-clock time in the zone, as a UTC ISO string. */
export function fromZonedInput(value: string, zone: string): string | null {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})/.exec(value);
  if (!match) return null;
  return wallTime(match[1] ?? "", Number(match[2]), Number(match[3]), zone).toISOString();
}

/** A calendar day as an instant at noon UTC, so formatting it with timeZone UTC shows that day. */
const noonUtc = (day: string) => {
  const [y, m, d] = parts(day);
  return new Date(Date.UTC(y, m, d, 12));
};

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * A day as people say it, seen from `today`: Today, Tomorrow, Yesterday; the weekday within the
 * coming week ("Friday") and "Last Friday" within the past one; otherwise the date, with the year
 * only when it is not this year. `short` abbreviates weekdays and months for rows and cards.
 */
export function formatDay(day: string, today: string, locale: string, { short = false } = {}): string {
  const diff = daysBetween(today, day);
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  if (Math.abs(diff) <= 1) return capitalise(relative.format(diff, "day"));
  const date = noonUtc(day);
  const weekday = new Intl.DateTimeFormat(locale, { weekday: short ? "short" : "long", timeZone: "UTC" }).format(date);
  if (diff > 1 && diff < 7) return weekday;
  if (diff < -1 && diff > -7) return `Last ${weekday}`;
  const sameYear = day.slice(0, 4) === today.slice(0, 4);
  return new Intl.DateTimeFormat(locale, {
    weekday: short ? undefined : "short",
    day: "numeric",
    month: short ? "short" : "long",
    year: sameYear ? undefined : "numeric",
    timeZone: "UTC",
  }).format(date);
}

/** The time of day of an instant in the zone, in the locale's clock ("09:00", "9:00 AM"). */
export function formatTime(instant: Date | string, zone: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { timeStyle: "short", timeZone: zone }).format(
    new Date(instant),
  );
}

/** A due date as people say it, in the profile's zone: "Today 09:00", "Fri 17:30", "3 Jan 2027 08:00". */
export function formatDue(
  iso: string | null,
  { zone, locale, now = new Date() }: { zone: string; locale: string; now?: Date },
): string {
  if (!iso) return "";
  const day = formatDay(dayOf(iso, zone), dayOf(now, zone), locale, { short: true });
  return `${day} ${formatTime(iso, zone, locale)}`;
}

/** A whole date and time with its zone, for tooltips: "Thursday 3 December 2026, 09:00 (Asia/Kolkata)". */
export function formatFull(iso: string, zone: string, locale: string): string {
  const text = new Intl.DateTimeFormat(locale, {
    dateStyle: "full",
    timeStyle: "short",
    timeZone: zone,
  }).format(new Date(iso));
  return `${text} (${zone})`;
}

/** Milliseconds until the next day starts in the zone (when "today" must be worked out again). */
export function msUntilTomorrow(zone: string, now: Date = new Date()): number {
  return startOfDay(addDays(dayOf(now, zone), 1), zone).getTime() - now.getTime();
}
