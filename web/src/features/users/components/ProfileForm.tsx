import { useState, type SyntheticEvent } from "react";
import { ApiError, describeError, type User } from "../../../api/problem";
import { Field } from "../../../components/Field";
import { useToast } from "../../../components/toast-context";
import { validateName } from "../../../lib/validation";
import { currentZoneName } from "../../../lib/zones";
import { useUpdateProfile } from "../api/update-profile";
import { ZonePicker } from "./ZonePicker";

export function ProfileForm({ user }: { user: User }) {
  const { toast } = useToast();
  const [name, setName] = useState(user.name);
  const [timezone, setTimezone] = useState(currentZoneName(user.timezone));
  const [errors, setErrors] = useState<Record<string, string>>({});
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
      <ZonePicker value={timezone} onChange={setTimezone} error={errors.timezone} />
      <button type="submit" className="btn-primary" disabled={save.isPending}>
        Save profile
      </button>
    </form>
  );
}
