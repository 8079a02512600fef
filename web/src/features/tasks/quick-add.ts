import * as chrono from "chrono-node/en";
import type { Priority } from "../../api/problem";
import { addDays, dayOf, offsetMinutes, wallTime } from "../../lib/dates";
import { WORKWEEK, weekdayOf, type Weekday } from "./recurrence";

/**
 * Quick add: "Call mum tomorrow 9am !high #family" becomes a task due tomorrow at 09:00 in the
 * profile's time zone, of high priority, tagged "family", titled "Call mum".
 *
 * chrono-node finds the date words and reads them as wall-clock parts; it knows fixed offsets but
 * not IANA zones, so it is given the profile zone's offset at this moment as its reference (for
 * "today", "tomorrow", "in 2 hours"), and the parts it found are turned into an instant in the
 * profile's zone (so "next Friday 9am" across a DST change is still 09:00 there). What it found
 * is shown to the user, who can keep any part as plain words.
 */

export type TokenKind = "due" | "priority" | "tag" | "recurrence";

export interface Token {
  kind: TokenKind;
  /** Offsets into the text: [start, end). */
  start: number;
  end: number;
  /** The words as typed, without a leading connector ("by", "due", "on", "at"). */
  text: string;
  /** Identifies the part across edits, to remember the ones the user keeps as words. */
  key: string;
}

export interface QuickAdd {
  title: string;
  due_at: string | null;
  /** A day named without a time ("due friday"): a date-only task, "yyyy-mm-dd" of the profile's zone. */
  due_date: string | null;
  /** Whether the words named a time, or only a day (then the task is date-only). */
  dueHasTime: boolean;
  priority: Priority | null;
  tags: string[];
  /** An RFC 5545 rule ("every sunday": FREQ=WEEKLY;BYDAY=SU); the task is then due at its first occurrence. */
  recurrence: string | null;
  /** The recognised parts, in text order. */
  tokens: Token[];
}

export interface QuickAddContext {
  zone: string;
  now?: Date;
  /** Keys of parts to keep as words. */
  literal?: ReadonlySet<string>;
}

/** Where the parser places a day named without a time while it works; the task is then date-only. */
export const END_OF_DAY = { hour: 23, minute: 59 } as const;

const PRIORITY_WORDS: Record<string, Priority> = {
  urgent: "urgent",
  high: "high",
  medium: "medium",
  med: "medium",
  normal: "medium",
  low: "low",
  // Like Todoist's p1…p4: 1 is the most urgent.
  "1": "urgent",
  "2": "high",
  "3": "medium",
  "4": "low",
};
const PRIORITY = /(^|\s)!(urgent|high|medium|med|normal|low|[1-4])(?=[\s,.;]|$)/giu;
// The API's tag alphabet (letters, digits, space, . - / _); a space ends a tag typed this way.
const TAG = /(^|\s)#([\p{L}\p{N}_][\p{L}\p{N}_./-]*)/gu;
const TAG_MAX = 32;
const CONNECTOR = /(?:^|\s)(by|due|on|at|until|before)\s+$/i;
const TIME_OF_DAY = /^casualReference\/(tonight|morning|afternoon|evening|night|noon|midnight)$/;
const RECURRING = /(?:^|\s)every\s*$/i;
const DAY_NAME = "mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?";
// "every day", "every 2 weeks", "every other month", "every weekday", "every sunday", "every mon and thu".
const EVERY = new RegExp(
  `(^|\\s)every\\s+(?:(?:(other|\\d{1,3})\\s+)?(day|week|month|year)s?|(weekday|workday|weekend)s?|((?:${DAY_NAME})s?(?:\\s*(?:,|and|&)\\s*(?:${DAY_NAME})s?)*))(?=[\\s,.;!]|$)`,
  "giu",
);
const UNITS: Record<string, string> = { day: "DAILY", week: "WEEKLY", month: "MONTHLY", year: "YEARLY" };

const keyOf = (kind: TokenKind, text: string) => `${kind}:${text.toLowerCase()}`;

function overlaps(a: { start: number; end: number }, b: { start: number; end: number }) {
  return a.start < b.end && b.start < a.end;
}

function findPriorities(text: string): Token[] {
  return [...text.matchAll(PRIORITY)].map((m) => {
    const start = m.index + (m[1] ?? "").length;
    const word = `!${m[2] ?? ""}`;
    return { kind: "priority" as const, start, end: start + word.length, text: word, key: keyOf("priority", word) };
  });
}

function findTags(text: string): Token[] {
  const found: Token[] = [];
  for (const m of text.matchAll(TAG)) {
    // A sentence's full stop or a dash after a tag is not part of it.
    const name = (m[2] ?? "").replace(/[./-]+$/u, "");
    if (!name || name.length > TAG_MAX) continue;
    const start = m.index + (m[1] ?? "").length;
    const word = `#${name}`;
    found.push({ kind: "tag", start, end: start + word.length, text: word, key: keyOf("tag", word) });
  }
  return found;
}

interface RecurrenceFound {
  token: Token;
  rule: string;
  /** The weekdays it falls on, when it names them. */
  days: Weekday[];
}

function findRecurrence(text: string, taken: Token[], literal: ReadonlySet<string>): RecurrenceFound | null {
  for (const m of text.matchAll(EVERY)) {
    const start = m.index + (m[1] ?? "").length;
    const words = m[0].slice((m[1] ?? "").length);
    const token: Token = { kind: "recurrence", start, end: start + words.length, text: words, key: keyOf("recurrence", words) };
    if (literal.has(token.key) || taken.some((t) => overlaps(t, token))) continue;
    const [, , every, unit, named, dayList] = m;
    if (unit) {
      const interval = every?.toLowerCase() === "other" ? 2 : Number(every ?? 1);
      if (!interval) continue;
      const rule = `FREQ=${UNITS[unit.toLowerCase()] ?? "DAILY"}${interval > 1 ? `;INTERVAL=${interval}` : ""}`;
      return { token, rule, days: [] };
    }
    if (named) {
      const weekend = named.toLowerCase() === "weekend";
      const days: Weekday[] = weekend ? ["SA", "SU"] : ["MO", "TU", "WE", "TH", "FR"];
      return { token, rule: weekend ? "FREQ=WEEKLY;BYDAY=SA,SU" : WORKWEEK, days };
    }
    const days: Weekday[] = [];
    for (const name of (dayList ?? "").toLowerCase().split(/\s*(?:,|and|&)\s*/)) {
      const code = name.slice(0, 2).toUpperCase() as Weekday;
      if (!days.includes(code)) days.push(code);
    }
    days.sort((a, b) => WEEK_ORDER.indexOf(a) - WEEK_ORDER.indexOf(b));
    return { token, rule: `FREQ=WEEKLY;BYDAY=${days.join(",")}`, days };
  }
  return null;
}

const WEEK_ORDER: Weekday[] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

/** The first day on or after `day` that is one of `days` (any day when none are named). */
function firstOf(day: string, days: Weekday[]): string {
  let at = day;
  for (let i = 0; i < 7 && days.length && !days.includes(weekdayOf(at)); i++) at = addDays(at, 1);
  return at;
}

interface DueFound {
  token: Token;
  due: Date;
  hasTime: boolean;
  /** Only its time counts: its day was a recurrence's ("every sunday 10am"). */
  timeOnly: boolean;
}

function findDue(text: string, zone: string, now: Date, taken: Token[], literal: ReadonlySet<string>): DueFound | null {
  const results = chrono.parse(
    text,
    { instant: now, timezone: offsetMinutes(zone, now) },
    { forwardDate: true },
  );
  for (const result of results) {
    let start = result.index;
    const end = start + result.text.length;
    const before = text.slice(0, start);
    const repeat = taken.find((t) => t.kind === "recurrence" && overlaps(t, { start, end }));
    const timeOnly = !!repeat;
    if (repeat) {
      // "every sunday 10am": the day is the recurrence's, the time the due's.
      if (end <= repeat.end || !result.start.isCertain("hour")) continue;
      start = repeat.end;
      while (text[start] === " ") start++;
    } else {
      // "every sunday" kept as words: no due date either.
      if (RECURRING.test(before)) continue;
      if (taken.some((t) => overlaps(t, { start, end }))) continue;
    }
    const words = text.slice(start, end);
    const key = keyOf("due", words);
    if (literal.has(key)) continue;
    // A lone number ("buy 2 apples") is not a date.
    if (/^\d+$/.test(words.trim())) continue;
    const connector = CONNECTOR.exec(before);
    if (connector) start -= connector[0].trimStart().length;
    const parts = result.start;
    // "tonight", "this evening": a time of day chrono implies rather than reads.
    const hasTime = parts.isCertain("hour") || [...parts.tags()].some((t) => TIME_OF_DAY.test(t));
    let due: Date;
    if (parts.isCertain("timezoneOffset")) {
      // An offset in the words ("5pm UTC") or a span from now ("in 2 hours"): an instant already.
      due = parts.date();
    } else {
      const day = `${parts.get("year") ?? 1970}-${String(parts.get("month") ?? 1).padStart(2, "0")}-${String(parts.get("day") ?? 1).padStart(2, "0")}`;
      due = hasTime
        ? wallTime(day, parts.get("hour") ?? 0, parts.get("minute") ?? 0, zone)
        : wallTime(day, END_OF_DAY.hour, END_OF_DAY.minute, zone);
    }
    const year = Number(dayOf(due, "UTC").slice(0, 4));
    if (Number.isNaN(due.getTime()) || year < 1970 || year > 9999) continue;
    return { token: { kind: "due", start, end, text: words, key }, due, hasTime, timeOnly };
  }
  return null;
}

/** The wall-clock hour and minute of an instant in a zone. */
function dayTime(instant: Date, zone: string): [number, number] {
  const text = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(instant);
  const [hour = 0, minute = 0] = text.split(":").map(Number);
  return [hour, minute];
}

/** Reads a quick-add line. Parts whose keys are in `literal` stay in the title as typed. */
export function parseQuickAdd(text: string, { zone, now = new Date(), literal = new Set() }: QuickAddContext): QuickAdd {
  const tokens: Token[] = [];
  let priority: Priority | null = null;
  for (const token of findPriorities(text)) {
    if (literal.has(token.key) || priority) continue;
    priority = PRIORITY_WORDS[token.text.slice(1).toLowerCase()] ?? null;
    tokens.push(token);
  }
  const tags: string[] = [];
  for (const token of findTags(text)) {
    if (literal.has(token.key) || tags.length >= 20) continue;
    const tag = token.text.slice(1).toLowerCase();
    if (!tags.includes(tag)) tags.push(tag);
    tokens.push(token);
  }
  const repeat = findRecurrence(text, tokens, literal);
  if (repeat) tokens.push(repeat.token);
  const due = findDue(text, zone, now, tokens, literal);
  if (due) tokens.push(due.token);
  // A repeating task is due at its first occurrence: the day named (or today), moved on to a
  // weekday the rule names, at the time named (or the day's end).
  let dueAt = due ? due.due : null;
  if (repeat) {
    const dayNamed = due && !due.timeOnly;
    const [hour, minute] = due?.hasTime ? dayTime(due.due, zone) : [END_OF_DAY.hour, END_OF_DAY.minute];
    let first = firstOf(dayOf(dayNamed ? due.due : now, zone), repeat.days);
    if (!dayNamed && wallTime(first, hour, minute, zone) < now) first = firstOf(addDays(first, 1), repeat.days);
    dueAt = wallTime(first, hour, minute, zone);
  }
  tokens.sort((a, b) => a.start - b.start);

  let title = "";
  let at = 0;
  for (const token of tokens) {
    title += `${text.slice(at, token.start)} `;
    at = token.end;
  }
  title += text.slice(at);
  title = title.replace(/\s+/g, " ").trim();

  // A day without a time is a date-only task: its day in the profile's zone, no time.
  const dateOnly = dueAt !== null && !(due?.hasTime ?? false);
  return {
    title,
    due_at: dueAt && !dateOnly ? dueAt.toISOString() : null,
    due_date: dueAt && dateOnly ? dayOf(dueAt, zone) : null,
    dueHasTime: due?.hasTime ?? false,
    priority,
    tags,
    recurrence: repeat ? repeat.rule : null,
    tokens,
  };
}
