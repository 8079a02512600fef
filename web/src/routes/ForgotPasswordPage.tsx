import { useState, type SyntheticEvent } from "react";
import { Link } from "react-router";
import { ApiError, describeError } from "../api/problem";
import { Field } from "../components/Field";
import { useRequestPasswordReset } from "../features/auth/api/request-password-reset";
import { validateEmail } from "../lib/validation";
import { AuthLayout, FormAlert } from "./AuthLayout";

const LINK = "font-medium text-indigo-700 underline dark:text-indigo-300";

export default function ForgotPasswordPage() {
  const [email, setEmail] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [formError, setFormError] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  const request = useRequestPasswordReset({
    onSuccess: (detail) => setSent(detail),
    onError: (failure) => {
      if (failure instanceof ApiError && failure.status === 422 && failure.fieldErrors().email)
        setError(failure.fieldErrors().email);
      else setFormError(describeError(failure));
    },
  });

  function onSubmit(event: SyntheticEvent) {
    event.preventDefault();
    setFormError(null);
    const found = validateEmail(email);
    setError(found);
    if (!found) request.mutate(email.trim());
  }

  return (
    <AuthLayout title="Forgot your password?">
      {sent ? (
        <div className="space-y-4">
          {/* The server's sentence: the same whether or not the address has an account. */}
          <p role="status" className="text-sm">
            {sent}
          </p>
          <p className="text-sm text-slate-600 dark:text-slate-400">
            No email? Check the address and your spam folder, then{" "}
            <button type="button" className={LINK} onClick={() => setSent(null)}>
              ask again
            </button>
            .
          </p>
        </div>
      ) : (
        <form noValidate onSubmit={onSubmit} className="space-y-4">
          <p className="text-sm text-slate-600 dark:text-slate-400">
            Enter your account’s email address and we will send you a link to choose a new password.
          </p>
          <FormAlert message={formError} />
          <Field
            label="Email"
            type="email"
            name="email"
            autoComplete="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            error={error}
          />
          <button type="submit" className="btn-primary w-full" disabled={request.isPending}>
            {request.isPending ? "Sending…" : "Send the link"}
          </button>
        </form>
      )}
      <p className="mt-5 text-center text-sm">
        <Link to="/login" className={LINK}>
          Back to log in
        </Link>
      </p>
    </AuthLayout>
  );
}
