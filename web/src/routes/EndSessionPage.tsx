import { useLayoutEffect, useState } from "react";
import { Link } from "react-router";
import { ApiError, describeError } from "../api/problem";
import { stripHash, tokenFromHash } from "../features/auth/reset-link";
import { useEndNoticedSession } from "../features/users/api/end-noticed-session";
import { AuthLayout, FormAlert } from "./AuthLayout";

const LINK = "font-medium text-indigo-700 underline dark:text-indigo-300";
const BAD_LINK = "This link is invalid, used or expired.";

/** The link of a new-device sign-in notice (`/end-session#token=…`): ends that session. */
export default function EndSessionPage() {
  const [token] = useState(() => tokenFromHash(window.location.hash));
  const [ended, setEnded] = useState(false);
  const [linkError, setLinkError] = useState<string | null>(token ? null : BAD_LINK);
  const [formError, setFormError] = useState<string | null>(null);

  useLayoutEffect(stripHash, []);

  const end = useEndNoticedSession({
    onSuccess: () => setEnded(true),
    onError: (error) => {
      if (error instanceof ApiError && error.status === 422) setLinkError(BAD_LINK);
      else setFormError(describeError(error));
    },
  });

  return (
    <AuthLayout title="End that session">
      {linkError ? (
        <p role="alert" className="text-sm">
          {linkError}
        </p>
      ) : ended ? (
        <p role="status" className="text-sm">
          That session has ended. If it was not you, choose a new password now.
        </p>
      ) : (
        <div className="space-y-4">
          <FormAlert message={formError} />
          <p className="text-sm text-slate-600 dark:text-slate-400">
            The device from the email will be signed out. Your other sessions go on.
          </p>
          <button
            type="button"
            className="btn-primary w-full"
            disabled={end.isPending || !token}
            onClick={() => token && end.mutate(token)}
          >
            {end.isPending ? "Ending…" : "End that session"}
          </button>
        </div>
      )}
      <p className="mt-5 text-center text-sm">
        <Link to="/forgot-password" className={LINK}>
          Choose a new password
        </Link>
      </p>
    </AuthLayout>
  );
}
