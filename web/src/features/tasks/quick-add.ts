import * as chrono from "chrono-node/en";
import type { Priority } from "../../api/problem";
import { dayOf, offsetMinutes, wallTime } from "../../lib/dates";

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

export type TokenKind = "due" | "priority" | "tag";

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
  /** Whether the words named a time, or only a day (then the task is due at the day's end). */
  dueHasTime: boolean;
  priority: Priority | null;
  tags: string[];
  /** The recognised parts, in text order. */
  tokens: Token[];
}

export interface QuickAddContext {
  zone: string;
  now?: Date;
  /** Keys of parts to keep as words. */
  literal?: ReadonlySet<string>;
}

/** A day named without a time is due at its end, until the API has date-only due dates. */
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

interface DueFound {
  token: Token;
  due: Date;
  hasTime: boolean;
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
    // "every sunday" is a recurrence, which tasks do not have yet: keep it as words.
    if (RECURRING.test(before)) continue;
    if (taken.some((t) => overlaps(t, { start, end }))) continue;
    const words = result.text;
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
    return { token: { kind: "due", start, end, text: words, key }, due, hasTime };
  }
  return null;
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
  const due = findDue(text, zone, now, tokens, literal);
  if (due) tokens.push(due.token);
  tokens.sort((a, b) => a.start - b.start);

  let title = "";
  let at = 0;
  for (const token of tokens) {
    title += `${text.slice(at, token.start)} `;
    at = token.end;
  }
  title += text.slice(at);
  title = title.replace(/\s+/g, " ").trim();

  return {
    title,
    due_at: due ? due.due.toISOString() : null,
    dueHasTime: due?.hasTime ?? false,
    priority,
    tags,
    tokens,
  };
}
