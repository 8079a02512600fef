import { useState, type SyntheticEvent } from "react";
import { ApiError, describeError, type User } from "../../../api/problem";
import { Field } from "../../../components/Field";
import { useToast } from "../../../components/toast-context";
import { validateEmail } from "../../../lib/validation";
import { useChangeEmail } from "../api/change-email";

export function EmailForm({ user }: { user: User }) {
  const { toast } = useToast();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const change = useChangeEmail({
    onSuccess: (fresh) => {
      setEmail("");
      setPassword("");
      toast({ kind: "success", message: `Your email is now ${fresh.email}` });
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status === 422) setErrors(error.fieldErrors());
      else if (error instanceof ApiError && error.status === 409)
        setErrors({ new_email: "Another account uses this address." });
      else toast({ kind: "error", message: describeError(error) });
    },
  });

  function submit(event: SyntheticEvent) {
    event.preventDefault();
    const found: Record<string, string> = {};
    const emailError = validateEmail(email);
    if (emailError) found.new_email = emailError;
    else if (email.trim().toLowerCase() === user.email.toLowerCase()) found.new_email = "That is your email already.";
    if (!password) found.password = "Enter your password to confirm.";
    setErrors(found);
    if (!Object.keys(found).length) change.mutate({ new_email: email.trim(), password });
  }

  return (
    <form noValidate onSubmit={submit} className="space-y-4">
      <Field
        label="New email"
        type="email"
        autoComplete="email"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={errors.new_email}
      />
      <Field
        label="Confirm with your password"
        type="password"
        autoComplete="current-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={errors.password}
      />
      <button type="submit" className="btn-primary" disabled={change.isPending}>
        Change email
      </button>
    </form>
  );
}
