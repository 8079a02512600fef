import { useId } from "react";
import { useAuth } from "../../../auth/auth-context";
import { MAX_REMINDERS, REMINDER_CHOICES, reminderLabel } from "../reminders";

function describe(offsets: readonly number[] | null | undefined): string {
  if (!offsets) return "as set in Settings";
  if (!offsets.length) return "none";
  return offsets.map((m, i) => (i ? reminderLabel(m).toLowerCase() : reminderLabel(m))).join(", ");
}

interface Props {
  /** The task's own offsets; null: the owner's preference. */
  value: number[] | null;
  onChange: (value: number[] | null) => void;
  error?: string | undefined;
}

/** The reminders of a task: the account's default, or a choice of offsets before its due time. */
export function ReminderPicker({ value, onChange, error }: Props) {
  const ids = useId();
  // (A profile read before the preferences existed has none: the service's default then.)
  const preferences = useAuth().user?.preferences;
  const preference = preferences?.reminder_offsets;
  const choices = [...new Set([...REMINDER_CHOICES, ...(value ?? [])])].sort((a, b) => a - b);
  const full = (value?.length ?? 0) >= MAX_REMINDERS;

  function toggle(minutes: number, on: boolean) {
    const current = value ?? [];
    onChange((on ? [...current, minutes] : current.filter((m) => m !== minutes)).sort((a, b) => a - b));
  }

  return (
    <fieldset aria-describedby={error ? `${ids}-error` : `${ids}-hint`}>
      <legend className="mb-1 block text-sm font-medium">Reminders</legend>
      <label className="flex items-center gap-2 text-sm">
        <input
          type="checkbox"
          checked={value === null}
          onChange={(e) => onChange(e.target.checked ? null : [...(preference ?? [0])])}
        />
        My default reminders ({describe(preference)})
      </label>
      {value !== null && (
        <div className="mt-2 grid grid-cols-2 gap-1 sm:grid-cols-3">
          {choices.map((minutes) => {
            const checked = value.includes(minutes);
            return (
              <label key={minutes} className="flex items-center gap-2 text-sm">
                <input
                  type="checkbox"
                  checked={checked}
                  disabled={!checked && full}
                  onChange={(e) => toggle(minutes, e.target.checked)}
                />
                {reminderLabel(minutes)}
              </label>
            );
          })}
        </div>
      )}
      {error ? (
        <p id={`${ids}-error`} className="mt-1 text-sm text-rose-700 dark:text-rose-300">
          {error}
        </p>
      ) : (
        <p id={`${ids}-hint`} className="mt-1 text-xs text-slate-600 dark:text-slate-400">
          {value !== null && !value.length
            ? "No reminders for this task."
            : `Reminders come before the due time, at most ${MAX_REMINDERS}.`}
        </p>
      )}
    </fieldset>
  );
}
