import { useId } from "react";
import { describeError, type User } from "../../../api/problem";
import { useToast } from "../../../components/toast-context";
import { formatDue } from "../../../lib/dates";
import { useClock } from "../../../lib/clock";
import { useUpdateProfile } from "../api/update-profile";

type DateLocale = NonNullable<User["preferences"]["locale"]>;

/** The date locales offered: the interface is English, so English variants only. */
const LOCALES: { value: DateLocale; label: string }[] = [
  { value: "auto", label: "As this browser (English)" },
  { value: "en-GB", label: "English (United Kingdom)" },
  { value: "en-US", label: "English (United States)" },
  { value: "en-AU", label: "English (Australia)" },
  { value: "en-CA", label: "English (Canada)" },
  { value: "en-IE", label: "English (Ireland)" },
  { value: "en-IN", label: "English (India)" },
  { value: "en-NZ", label: "English (New Zealand)" },
  { value: "en-ZA", label: "English (South Africa)" },
];

/** How every date is written: one locale for the whole app, kept with the account. */
export function LocalePicker({ user }: { user: User }) {
  const id = useId();
  const { toast } = useToast();
  const clock = useClock();
  const save = useUpdateProfile({
    onSuccess: () => toast({ kind: "success", message: "Date format saved" }),
    onError: (error) => toast({ kind: "error", message: `Date format not saved: ${describeError(error)}` }),
  });
  const sample = formatDue(new Date(Date.UTC(2026, 11, 24, 17, 30)).toISOString(), { zone: "UTC", locale: clock.locale, now: new Date(Date.UTC(2026, 0, 1)) });
  return (
    <div>
      <label htmlFor={id} className="mb-1 block text-sm font-medium">
        Dates
      </label>
      <select
        id={id}
        className="input sm:max-w-xs"
        aria-describedby={`${id}-sample`}
        value={user.preferences.locale ?? "auto"}
        disabled={save.isPending}
        onChange={(e) => save.mutate({ preferences: { locale: e.target.value as DateLocale } })}
      >
        {LOCALES.map((l) => (
          <option key={l.value} value={l.value}>
            {l.label}
          </option>
        ))}
      </select>
      <p id={`${id}-sample`} className="mt-1 text-sm text-slate-600 dark:text-slate-400">
        For example: {sample}
      </p>
    </div>
  );
}
