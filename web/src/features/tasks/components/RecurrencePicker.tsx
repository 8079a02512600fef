import { useId, useState } from "react";
import { ApiError, describeError } from "../../../api/problem";
import { useClock } from "../../../lib/clock";
import { formatDue, formatDay } from "../../../lib/dates";
import { useRecurrencePreview } from "../api/preview-recurrence";
import {
  WEEKDAYS,
  WEEKDAY_SHORT,
  WORKWEEK,
  buildRule,
  describeRule,
  parseRule,
  weekdayNumber,
  weekdayOf,
  type Freq,
  type RuleParts,
  type Weekday,
} from "../recurrence";

const PRESETS: { rule: string; label: string }[] = [
  { rule: "FREQ=DAILY", label: "Every day" },
  { rule: WORKWEEK, label: "Every weekday (Mon–Fri)" },
  { rule: "FREQ=WEEKLY", label: "Every week" },
  { rule: "FREQ=MONTHLY", label: "Every month" },
  { rule: "FREQ=YEARLY", label: "Every year" },
];
const UNITS: { freq: Freq; label: string }[] = [
  { freq: "DAILY", label: "days" },
  { freq: "WEEKLY", label: "weeks" },
  { freq: "MONTHLY", label: "months" },
  { freq: "YEARLY", label: "years" },
];
const ORDINAL: Record<number, string> = { 1: "first", 2: "second", 3: "third", 4: "fourth", [-1]: "last" };

interface Props {
  /** The task's rule (RRULE), or null: it does not repeat. */
  value: string | null;
  onChange: (value: string | null) => void;
  /** The editor's due ("2026-12-07T09:00", in the profile's zone): the first occurrence. */
  due: string;
  error?: string | undefined;
}

/**
 * How a task repeats: a preset, or a custom rule (every N days, weeks on chosen days, months on
 * a day or an nth weekday, years; ending never, after N times or on a date). The next dates are
 * the server's (GET /recurrence/preview), in the profile's zone.
 */
export function RecurrencePicker({ value, onChange, due, error }: Props) {
  const ids = useId();
  const clock = useClock();
  const [custom, setCustom] = useState(() => value !== null && !PRESETS.some((p) => p.rule === value));
  const day = due ? due.slice(0, 10) : clock.today;
  const parts: RuleParts = (value && parseRule(value)) || {
    freq: "WEEKLY",
    interval: 1,
    byDay: [{ n: null, day: weekdayOf(day) }],
    byMonthDay: [],
    byMonth: [],
    count: null,
    until: null,
  };
  const preview = useRecurrencePreview(value && due ? { rule: value, start: due, tz: clock.zone } : null);
  const previewError =
    preview.error instanceof ApiError && preview.error.status === 422
      ? (Object.values(preview.error.fieldErrors())[0] ?? describeError(preview.error))
      : null;
  const problem = error ?? (value && !due ? "A repeating task needs a due date: set one above." : previewError);

  const change = (next: Partial<RuleParts>) => onChange(buildRule({ ...parts, ...next }));

  function choose(choice: string) {
    if (choice === "custom") {
      setCustom(true);
      if (!value) change({});
      return;
    }
    setCustom(false);
    onChange(choice || null);
  }

  function setUnit(freq: Freq) {
    const byDay = freq === "WEEKLY" ? [{ n: null, day: weekdayOf(day) }] : [];
    change({ freq, byDay, byMonthDay: [], byMonth: [] });
  }

  function toggleDay(weekday: Weekday) {
    const on = parts.byDay.some((d) => d.day === weekday);
    const days = on ? parts.byDay.filter((d) => d.day !== weekday) : [...parts.byDay, { n: null, day: weekday }];
    days.sort((a, b) => WEEKDAYS.indexOf(a.day) - WEEKDAYS.indexOf(b.day));
    if (days.length) change({ byDay: days });
  }

  const selected = value === null ? "" : custom ? "custom" : value;
  const monthly = parts.byDay.some((d) => d.n !== null) ? "weekday" : "day";
  const ends = parts.count ? "count" : parts.until ? "until" : "never";
  const untilDay = parts.until ? `${parts.until.slice(0, 4)}-${parts.until.slice(4, 6)}-${parts.until.slice(6, 8)}` : "";

  return (
    <fieldset aria-describedby={`${ids}-summary${problem ? ` ${ids}-error` : ""}`}>
      <legend className="sr-only">Repeat</legend>
      <label htmlFor={`${ids}-repeat`} className="mb-1 block text-sm font-medium">
        Repeat
      </label>
      <select id={`${ids}-repeat`} className="input" value={selected} onChange={(e) => choose(e.target.value)}>
        <option value="">Does not repeat</option>
        {PRESETS.map((p) => (
          <option key={p.rule} value={p.rule}>
            {p.label}
          </option>
        ))}
        <option value="custom">Custom…</option>
      </select>
      {custom && value !== null && (
        <div className="mt-2 space-y-2 rounded-md border border-slate-200 p-3 text-sm dark:border-slate-700">
          <div className="flex flex-wrap items-center gap-2">
            <label htmlFor={`${ids}-interval`}>Every</label>
            <input
              id={`${ids}-interval`}
              type="number"
              min={1}
              max={999}
              className="input w-20"
              value={parts.interval}
              onChange={(e) => change({ interval: Math.min(999, Math.max(1, Number(e.target.value) || 1)) })}
            />
            <label htmlFor={`${ids}-unit`} className="sr-only">
              Unit
            </label>
            <select id={`${ids}-unit`} className="input w-auto" value={parts.freq} onChange={(e) => setUnit(e.target.value as Freq)}>
              {UNITS.map((u) => (
                <option key={u.freq} value={u.freq}>
                  {u.label}
                </option>
              ))}
            </select>
          </div>
          {parts.freq === "WEEKLY" && (
            <div role="group" aria-label="On" className="flex flex-wrap gap-1">
              {WEEKDAYS.map((d) => {
                const on = parts.byDay.some((b) => b.day === d);
                return (
                  <button
                    key={d}
                    type="button"
                    aria-pressed={on}
                    className={`min-h-11 min-w-11 rounded-full border px-2 sm:min-h-8 sm:min-w-8 ${
                      on ? "border-indigo-700 bg-indigo-700 text-white dark:border-indigo-400 dark:bg-indigo-400 dark:text-slate-950" : "border-slate-300 dark:border-slate-600"
                    }`}
                    onClick={() => toggleDay(d)}
                  >
                    {WEEKDAY_SHORT[d]}
                  </button>
                );
              })}
            </div>
          )}
          {parts.freq === "MONTHLY" && (
            <div role="radiogroup" aria-label="Which day of the month" className="space-y-1">
              <label className="flex items-center gap-2">
                <input
                  type="radio"
                  name={`${ids}-monthly`}
                  checked={monthly === "day"}
                  onChange={() => change({ byDay: [], byMonthDay: [Number(day.slice(8, 10))] })}
                />
                On day {Number(day.slice(8, 10))}
              </label>
              <label className="flex items-center gap-2">
                <input
                  type="radio"
                  name={`${ids}-monthly`}
                  checked={monthly === "weekday"}
                  onChange={() => change({ byMonthDay: [], byDay: [{ n: weekdayNumber(day), day: weekdayOf(day) }] })}
                />
                On the {ORDINAL[weekdayNumber(day)]} {WEEKDAY_SHORT[weekdayOf(day)]}
              </label>
            </div>
          )}
          <div className="flex flex-wrap items-center gap-2">
            <label htmlFor={`${ids}-ends`}>Ends</label>
            <select
              id={`${ids}-ends`}
              className="input w-auto"
              value={ends}
              onChange={(e) => {
                const kind = e.target.value;
                if (kind === "never") change({ count: null, until: null });
                else if (kind === "count") change({ count: 10, until: null });
                else change({ count: null, until: day.replaceAll("-", "") });
              }}
            >
              <option value="never">Never</option>
              <option value="count">After a number of times</option>
              <option value="until">On a date</option>
            </select>
            {ends === "count" && (
              <>
                <label htmlFor={`${ids}-count`} className="sr-only">
                  Times
                </label>
                <input
                  id={`${ids}-count`}
                  type="number"
                  min={1}
                  max={1000}
                  className="input w-24"
                  value={parts.count ?? 1}
                  onChange={(e) => change({ count: Math.min(1000, Math.max(1, Number(e.target.value) || 1)) })}
                />
                <span>times</span>
              </>
            )}
            {ends === "until" && (
              <>
                <label htmlFor={`${ids}-until`} className="sr-only">
                  Last date
                </label>
                <input
                  id={`${ids}-until`}
                  type="date"
                  className="input w-auto"
                  value={untilDay}
                  onChange={(e) => e.target.value && change({ until: e.target.value.replaceAll("-", "") })}
                />
              </>
            )}
          </div>
        </div>
      )}
      <p id={`${ids}-summary`} className="mt-1 text-xs text-slate-600 dark:text-slate-400" aria-live="polite">
        {value ? describeRule(value) : "Completing the task makes the next one when it repeats."}
        {value && !problem && preview.data && preview.data.occurrences.length > 1 && (
          <>
            {" · Next: "}
            {preview.data.occurrences
              .slice(1)
              .map((o) => (o.due_at ? formatDue(o.due_at, clock) : o.due_date ? formatDay(o.due_date, clock.today, clock.locale, { short: true }) : ""))
              .join(", ")}
          </>
        )}
      </p>
      {problem && (
        <p id={`${ids}-error`} className="mt-1 text-sm text-rose-700 dark:text-rose-300">
          {problem}
        </p>
      )}
    </fieldset>
  );
}
