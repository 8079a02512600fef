/**
 * Recurrence rules (RFC 5545 RRULE) as the API stores them on a task: read into parts to show
 * a summary ("Every 2 weeks on Mon, Wed") and to fill the editor, and written back from the
 * editor's choices. The occurrences themselves come from the API (GET /recurrence/preview):
 * the browser's rrule package is unmaintained, and the server's evaluation is the one that
 * counts.
 */

export type Freq = "DAILY" | "WEEKLY" | "MONTHLY" | "YEARLY";
export const WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const WEEKDAY_SHORT: Record<Weekday, string> = {
  MO: "Mon",
  TU: "Tue",
  WE: "Wed",
  TH: "Thu",
  FR: "Fri",
  SA: "Sat",
  SU: "Sun",
};
const WEEKDAY_LONG: Record<Weekday, string> = {
  MO: "Monday",
  TU: "Tuesday",
  WE: "Wednesday",
  TH: "Thursday",
  FR: "Friday",
  SA: "Saturday",
  SU: "Sunday",
};
const UNIT: Record<Freq, string> = { DAILY: "day", WEEKLY: "week", MONTHLY: "month", YEARLY: "year" };
const ORDINAL: Record<number, string> = { 1: "first", 2: "second", 3: "third", 4: "fourth", [-1]: "last" };
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export interface RuleParts {
  freq: Freq;
  interval: number;
  /** Weekdays, each with its number in the month ("2TU": 2, "-1FR": -1) or none. */
  byDay: { n: number | null; day: Weekday }[];
  byMonthDay: number[];
  byMonth: number[];
  count: number | null;
  /** As written in the rule: 20261231 or 20261231T225959Z. */
  until: string | null;
}

export const WORKWEEK = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR";

/** The parts of a rule, or null for one this app does not read (it is still shown as text). */
export function parseRule(rule: string): RuleParts | null {
  const parts: RuleParts = { freq: "DAILY", interval: 1, byDay: [], byMonthDay: [], byMonth: [], count: null, until: null };
  let freq: Freq | null = null;
  for (const item of rule.replace(/^RRULE:/i, "").split(";")) {
    const [name = "", value = ""] = item.split("=");
    switch (name.toUpperCase()) {
      case "FREQ":
        if (!["DAILY", "WEEKLY", "MONTHLY", "YEARLY"].includes(value)) return null;
        freq = value as Freq;
        break;
      case "INTERVAL":
        parts.interval = Number(value) || 1;
        break;
      case "COUNT":
        parts.count = Number(value) || null;
        break;
      case "UNTIL":
        parts.until = value;
        break;
      case "BYMONTHDAY":
        parts.byMonthDay = value.split(",").map(Number);
        break;
      case "BYMONTH":
        parts.byMonth = value.split(",").map(Number);
        break;
      case "BYDAY":
        for (const d of value.split(",")) {
          const m = /^([+-]?\d+)?(MO|TU|WE|TH|FR|SA|SU)$/.exec(d);
          if (!m) return null;
          parts.byDay.push({ n: m[1] ? Number(m[1]) : null, day: m[2] as Weekday });
        }
        break;
      case "WKST":
        break;
      default:
        return null;
    }
  }
  if (!freq) return null;
  parts.freq = freq;
  return parts;
}

/** The rule of some parts, in the API's canonical order. */
export function buildRule(parts: RuleParts): string {
  const out = [`FREQ=${parts.freq}`];
  if (parts.interval > 1) out.push(`INTERVAL=${parts.interval}`);
  if (parts.byMonth.length) out.push(`BYMONTH=${parts.byMonth.join(",")}`);
  if (parts.byMonthDay.length) out.push(`BYMONTHDAY=${parts.byMonthDay.join(",")}`);
  if (parts.byDay.length) out.push(`BYDAY=${parts.byDay.map((d) => `${d.n ?? ""}${d.day}`).join(",")}`);
  if (parts.count) out.push(`COUNT=${parts.count}`);
  else if (parts.until) out.push(`UNTIL=${parts.until}`);
  return out.join(";");
}

function untilText(until: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})/.exec(until);
  if (!m) return until;
  return `${Number(m[3])} ${MONTHS[Number(m[2]) - 1] ?? ""} ${m[1]}`;
}

function list(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1) ?? ""}`;
}

/** "Every day", "Every weekday", "Every 2 weeks on Mon and Wed", "Every month on the last Friday". */
export function describeRule(rule: string): string {
  const parts = parseRule(rule);
  if (!parts) return `Repeats (${rule})`;
  const unit = UNIT[parts.freq];
  let text = parts.interval > 1 ? `Every ${parts.interval} ${unit}s` : `Every ${unit}`;
  const plain = parts.byDay.filter((d) => d.n === null).map((d) => d.day);
  const numbered = parts.byDay.filter((d) => d.n !== null);
  if (buildRule({ ...parts, count: null, until: null }) === WORKWEEK) text = "Every weekday";
  else if (plain.length) text += ` on ${list(plain.map((d) => WEEKDAY_SHORT[d]))}`;
  if (numbered.length) {
    text += ` on the ${list(numbered.map((d) => `${ORDINAL[d.n ?? 1] ?? `${d.n}th`} ${WEEKDAY_LONG[d.day]}`))}`;
  }
  if (parts.byMonthDay.length) {
    text += ` on day ${list(parts.byMonthDay.map((d) => (d === -1 ? "last" : String(d))))}`;
  }
  if (parts.byMonth.length) text += ` in ${list(parts.byMonth.map((m) => MONTHS[m - 1] ?? String(m)))}`;
  if (parts.count) text += `, ${parts.count} times`;
  if (parts.until) text += `, until ${untilText(parts.until)}`;
  return text;
}

/** The weekday of a calendar day ("2026-12-03" is a Thursday: "TH"). */
export function weekdayOf(day: string): Weekday {
  const [y = 1970, m = 1, d = 1] = day.split("-").map(Number);
  const index = (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;
  return WEEKDAYS[index] ?? "MO";
}

/** The number of a day's weekday in its month: 1 to 4, or -1 for the last one (a fifth is the last). */
export function weekdayNumber(day: string): number {
  const [y = 1970, m = 1, d = 1] = day.split("-").map(Number);
  const daysInMonth = new Date(Date.UTC(y, m, 0)).getUTCDate();
  if (d + 7 > daysInMonth) return -1;
  return Math.ceil(d / 7);
}
