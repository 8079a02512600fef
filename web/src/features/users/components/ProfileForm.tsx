import { useMemo, useState, type SyntheticEvent } from "react";
import { ApiError, describeError, type User } from "../../../api/problem";
import { Field } from "../../../components/Field";
import { useToast } from "../../../components/toast-context";
import { validateName } from "../../../lib/validation";
import { useUpdateProfile } from "../api/update-profile";

function timezones(current: string): string[] {
  const all = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return [...new Set(["UTC", current, ...all])].sort();
}

export function ProfileForm({ user }: { user: User }) {
  const { toast } = useToast();
  const [name, setName] = useState(user.name);
  const [timezone, setTimezone] = useState(user.timezone);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const zones = useMemo(() => timezones(user.timezone), [user.timezone]);
  const save = useUpdateProfile({
    onSuccess: () => toast({ kind: "success", message: "Profile saved" }),
    onError: (error) => {
      if (error instanceof ApiError && error.status === 422) setErrors(error.fieldErrors());
      else toast({ kind: "error", message: describeError(error) });
    },
  });

  function submit(event: SyntheticEvent) {
    event.preventDefault();
    const nameError = validateName(name);
    setErrors(nameError ? { name: nameError } : {});
    if (!nameError) save.mutate({ name: name.trim(), timezone });
  }

  return (
    <form noValidate onSubmit={submit} className="space-y-4">
      <Field label="Name" name="name" value={name} onChange={(e) => setName(e.target.value)} error={errors.name} />
      <p className="text-sm">
        <span className="font-medium">Email:</span> {user.email}
      </p>
      <div>
        <label htmlFor="timezone" className="mb-1 block text-sm font-medium">
          Time zone
        </label>
        <select id="timezone" className="input" value={timezone} onChange={(e) => setTimezone(e.target.value)}>
          {zones.map((z) => (
            <option key={z} value={z}>
              {z}
            </option>
          ))}
        </select>
        {errors.timezone && <p className="mt-1 text-sm text-rose-700 dark:text-rose-300">{errors.timezone}</p>}
      </div>
      <button type="submit" className="btn-primary" disabled={save.isPending}>
        Save profile
      </button>
    </form>
  );
}
