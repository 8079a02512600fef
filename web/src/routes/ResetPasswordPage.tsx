import { useLayoutEffect, useState, type SyntheticEvent } from "react";
import { Link, useNavigate } from "react-router";
import { ApiError, describeError } from "../api/problem";
import { Field } from "../components/Field";
import { useToast } from "../components/toast-context";
import { useConfirmPasswordReset } from "../features/auth/api/confirm-password-reset";
import { stripHash, tokenFromHash } from "../features/auth/reset-link";
import { compact, PASSWORD_MIN, validateConfirmation, validateNewPassword, type Errors } from "../lib/validation";
import { AuthLayout, FormAlert } from "./AuthLayout";

type Key = "password" | "confirmation";

const LINK = "font-medium text-indigo-700 underline dark:text-indigo-300";
const BAD_LINK = "This link is invalid, used or expired; ask for a new one.";

export default function ResetPasswordPage() {
  const navigate = useNavigate();
  const { toast } = useToast();
  // Read from the real address bar; pure, so a second render (StrictMode) reads the same.
  const [token] = useState(() => tokenFromHash(window.location.hash));
  const [password, setPassword] = useState("");
  const [confirmation, setConfirmation] = useState("");
  const [errors, setErrors] = useState<Errors<Key>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [linkError, setLinkError] = useState<string | null>(token ? null : BAD_LINK);

  // Before the page paints or anything else runs.
  useLayoutEffect(stripHash, []);

  const confirm = useConfirmPasswordReset({
    onSuccess: () => {
      toast({ kind: "success", message: "Password changed; you are signed in." });
      void navigate("/", { replace: true });
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status === 422) {
        const fields = error.fieldErrors();
        if (fields.token) setLinkError(fields.token);
        else if (fields.new_password) setErrors({ password: fields.new_password });
        else setFormError(describeError(error));
      } else setFormError(describeError(error));
    },
  });

  function onSubmit(event: SyntheticEvent) {
    event.preventDefault();
    setFormError(null);
    const found = compact<Key>({
      password: validateNewPassword(password),
      confirmation: validateConfirmation(password, confirmation),
    });
    setErrors(found);
    if (!token || Object.keys(found).length) return;
    confirm.mutate({ token, new_password: password });
  }

  if (linkError) {
    return (
      <AuthLayout title="Choose a new password">
        <p role="alert" className="text-sm">
          {linkError}
        </p>
        <p className="mt-5 text-center text-sm">
          <Link to="/forgot-password" className={LINK}>
            Forgot password
          </Link>
        </p>
      </AuthLayout>
    );
  }

  return (
    <AuthLayout title="Choose a new password">
      <form noValidate onSubmit={onSubmit} className="space-y-4">
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Your other sessions will be signed out, and you will be signed in here.
        </p>
        <FormAlert message={formError} />
        <Field
          label="New password"
          type="password"
          name="new-password"
          autoComplete="new-password"
          hint={`At least ${PASSWORD_MIN} characters.`}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.password}
        />
        <Field
          label="Confirm new password"
          type="password"
          name="confirm-password"
          autoComplete="new-password"
          value={confirmation}
          onChange={(e) => setConfirmation(e.target.value)}
          error={errors.confirmation}
        />
        <button type="submit" className="btn-primary w-full" disabled={confirm.isPending}>
          {confirm.isPending ? "Saving…" : "Set the new password"}
        </button>
      </form>
    </AuthLayout>
  );
}
