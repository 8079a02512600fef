import { useState, type SyntheticEvent } from "react";
import { ApiError, describeError } from "../../../api/problem";
import { Field } from "../../../components/Field";
import { useToast } from "../../../components/toast-context";
import { validateNewPassword } from "../../../lib/validation";
import { useChangePassword } from "../api/change-password";

export function PasswordForm() {
  const { toast } = useToast();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const change = useChangePassword({
    onSuccess: () => {
      setCurrent("");
      setNext("");
      toast({ kind: "success", message: "Password changed; your other sessions were signed out" });
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status === 422) setErrors(error.fieldErrors());
      else if (error instanceof ApiError && error.status === 401 && error.problem.type.endsWith("invalid-credentials"))
        setErrors({ current_password: "That is not your current password." });
      else toast({ kind: "error", message: describeError(error) });
    },
  });

  function submit(event: SyntheticEvent) {
    event.preventDefault();
    const found: Record<string, string> = {};
    if (!current) found.current_password = "Enter your current password.";
    const nextError = validateNewPassword(next);
    if (nextError) found.new_password = nextError;
    setErrors(found);
    if (!Object.keys(found).length) change.mutate({ current_password: current, new_password: next });
  }

  return (
    <form noValidate onSubmit={submit} className="space-y-4">
      <Field
        label="Current password"
        type="password"
        autoComplete="current-password"
        value={current}
        onChange={(e) => setCurrent(e.target.value)}
        error={errors.current_password}
      />
      <Field
        label="New password"
        type="password"
        autoComplete="new-password"
        hint="At least 8 characters."
        value={next}
        onChange={(e) => setNext(e.target.value)}
        error={errors.new_password}
      />
      <button type="submit" className="btn-primary" disabled={change.isPending}>
        Change password
      </button>
    </form>
  );
}
