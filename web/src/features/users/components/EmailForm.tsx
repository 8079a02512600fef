import { useState, type SyntheticEvent } from "react";
import { ApiError, describeError, type User } from "../../../api/problem";
import { Field } from "../../../components/Field";
import { useToast } from "../../../components/toast-context";
import { validateEmail } from "../../../lib/validation";
import { useChangeEmail } from "../api/change-email";
import { useRequestVerification } from "../api/request-verification";
import { useUpdateProfile } from "../api/update-profile";

/** The address, whether it is verified, and a way to get a new link while it is not. */
export function EmailStatus({ user }: { user: User }) {
  const { toast } = useToast();
  const [sent, setSent] = useState(false);
  const resend = useRequestVerification({
    onSuccess: () => setSent(true),
    onError: (error) => toast({ kind: "error", message: describeError(error) }),
  });
  const verified = Boolean(user.email_verified_at);
  return (
    <div className="space-y-2 text-sm">
      <p>
        <span className="font-medium">{user.email}</span>{" "}
        <span
          className={
            verified
              ? "rounded bg-emerald-100 px-1.5 py-0.5 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100"
              : "rounded bg-amber-100 px-1.5 py-0.5 text-amber-900 dark:bg-amber-900 dark:text-amber-100"
          }
        >
          {verified ? "Verified" : "Not verified"}
        </span>
      </p>
      {!verified &&
        (sent ? (
          <p role="status">A new link is on its way to {user.email}; it works for 24 hours.</p>
        ) : (
          <p>
            Open the link we emailed you to verify this address; reminder emails need a verified address.{" "}
            <button
              type="button"
              className="font-medium text-indigo-700 underline dark:text-indigo-300"
              disabled={resend.isPending}
              onClick={() => resend.mutate()}
            >
              Send the link again
            </button>
          </p>
        ))}
    </div>
  );
}

/** Asks to move the account to a new address: it changes once the link sent there is opened. */
export function EmailForm({ user }: { user: User }) {
  const { toast } = useToast();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [pending, setPending] = useState<string | null>(null);
  const change = useChangeEmail({
    onSuccess: (answer) => {
      setEmail("");
      setPassword("");
      setPending(answer.new_email);
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status === 422) setErrors(error.fieldErrors());
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
    if (!Object.keys(found).length) {
      setPending(null);
      change.mutate({ new_email: email.trim(), password });
    }
  }

  return (
    <form noValidate onSubmit={submit} className="space-y-4">
      {pending && (
        <p role="status" className="rounded bg-indigo-50 p-3 text-sm dark:bg-indigo-950">
          Check {pending}: your address changes when you open the link we sent there (within 24 hours). We told{" "}
          {user.email} too.
        </p>
      )}
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

const KINDS = [
  { key: "reminders", label: "Reminder emails", hint: "When a task is due (to a verified address)." },
  { key: "digest", label: "Daily digest", hint: "What is due and overdue, each morning." },
] as const;

/** Which non-essential mail the account gets; security mail always goes. */
export function MailPreferences({ user }: { user: User }) {
  const { toast } = useToast();
  const save = useUpdateProfile({
    onError: (error) => toast({ kind: "error", message: `Not saved: ${describeError(error)}` }),
  });
  const current = user.preferences.email ?? {};
  const digestTime = current.digest_time ?? "08:00";
  return (
    <fieldset className="space-y-2">
      <legend className="mb-1 text-sm font-medium">Email me</legend>
      {KINDS.map(({ key, label, hint }) => {
        const on = current[key] ?? key === "reminders";
        return (
          <label key={key} className="flex items-start gap-2 text-sm">
            <input
              type="checkbox"
              className="mt-0.5 size-4"
              checked={on}
              disabled={save.isPending}
              onChange={() => save.mutate({ preferences: { email: { [key]: !on } } })}
            />
            <span>
              {label}
              <span className="block text-slate-600 dark:text-slate-400">{hint}</span>
            </span>
          </label>
        );
      })}
      <label className="flex items-center gap-2 pl-6 text-sm">
        Digest at
        <input
          type="time"
          className="input w-32"
          value={digestTime}
          disabled={save.isPending || !current.digest}
          onChange={(e) => {
            if (/^\d\d:\d\d$/.test(e.target.value)) save.mutate({ preferences: { email: { digest_time: e.target.value } } });
          }}
        />
        <span className="text-slate-600 dark:text-slate-400">in your time zone ({user.timezone})</span>
      </label>
    </fieldset>
  );
}
