import { useLayoutEffect, useState } from "react";
import { Link } from "react-router";
import { ApiError, describeError } from "../api/problem";
import { useAuth } from "../auth/auth-context";
import { stripHash, tokenFromHash } from "../features/auth/reset-link";
import { useConfirmEmail, type EmailConfirmed } from "../features/users/api/confirm-email";
import { AuthLayout, FormAlert } from "./AuthLayout";

const LINK = "font-medium text-indigo-700 underline dark:text-indigo-300";
const BAD_LINK = "This link is invalid, used or expired; ask for a new one in Settings.";

/**
 * The page of the links that verify an address or confirm an email change
 * (`/verify-email#token=…`). The token is read once from the fragment and taken out of the
 * address bar; nothing is confirmed until the button is pressed, so a mail scanner that opens
 * links confirms nothing.
 */
export default function VerifyEmailPage() {
  const { status } = useAuth();
  const [token] = useState(() => tokenFromHash(window.location.hash));
  const [done, setDone] = useState<EmailConfirmed | null>(null);
  const [linkError, setLinkError] = useState<string | null>(token ? null : BAD_LINK);
  const [formError, setFormError] = useState<string | null>(null);

  useLayoutEffect(stripHash, []);

  const confirm = useConfirmEmail({
    onSuccess: setDone,
    onError: (error) => {
      if (error instanceof ApiError && error.status === 422) setLinkError(error.fieldErrors().token ?? BAD_LINK);
      else if (error instanceof ApiError && error.status === 409)
        setLinkError("Another account uses this address now, so your address was not changed.");
      else setFormError(describeError(error));
    },
  });

  const next =
    status === "authenticated" ? (
      <Link to="/settings" className={LINK}>
        Back to Settings
      </Link>
    ) : (
      <Link to="/login" className={LINK}>
        Sign in
      </Link>
    );

  if (linkError) {
    return (
      <AuthLayout title="Confirm your email">
        <p role="alert" className="text-sm">
          {linkError}
        </p>
        <p className="mt-5 text-center text-sm">{next}</p>
      </AuthLayout>
    );
  }
  if (done) {
    return (
      <AuthLayout title="Email confirmed">
        <p role="status" className="text-sm">
          {done.changed ? `Your account now uses ${done.email}.` : `${done.email} is verified. Thank you!`}
        </p>
        <p className="mt-5 text-center text-sm">{next}</p>
      </AuthLayout>
    );
  }
  return (
    <AuthLayout title="Confirm your email">
      <div className="space-y-4">
        <FormAlert message={formError} />
        <p className="text-sm text-slate-600 dark:text-slate-400">Confirm that this email address is yours.</p>
        <button
          type="button"
          className="btn-primary w-full"
          disabled={confirm.isPending || !token}
          onClick={() => token && confirm.mutate(token)}
        >
          {confirm.isPending ? "Confirming…" : "Confirm my address"}
        </button>
      </div>
    </AuthLayout>
  );
}
