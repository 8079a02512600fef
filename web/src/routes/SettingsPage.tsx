import { useQueryClient } from "@tanstack/react-query";
import { useMemo, useState, type SyntheticEvent } from "react";
import { useNavigate } from "react-router";
import { api } from "../api/client";
import { ApiError, describeError, unwrap, type User } from "../api/problem";
import { ME_KEY, useAuth } from "../auth/auth-context";
import { Dialog } from "../components/Dialog";
import { Field } from "../components/Field";
import { Skeleton } from "../components/States";
import { useToast } from "../components/toast-context";
import { applyTheme, type Theme } from "../lib/theme";
import { validateName, validateNewPassword } from "../lib/validation";

function timezones(current: string): string[] {
  const all = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return [...new Set(["UTC", current, ...all])].sort();
}

function ProfileForm({ user }: { user: User }) {
  const qc = useQueryClient();
  const { toast } = useToast();
  const [name, setName] = useState(user.name);
  const [timezone, setTimezone] = useState(user.timezone);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const zones = useMemo(() => timezones(user.timezone), [user.timezone]);

  async function submit(event: SyntheticEvent) {
    event.preventDefault();
    const nameError = validateName(name);
    setErrors(nameError ? { name: nameError } : {});
    if (nameError) return;
    setBusy(true);
    try {
      const fresh = unwrap(await api.PATCH("/api/v1/users/me", { body: { name: name.trim(), timezone } }));
      qc.setQueryData(ME_KEY, fresh);
      toast({ kind: "success", message: "Profile saved" });
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) setErrors(error.fieldErrors());
      else toast({ kind: "error", message: describeError(error) });
    } finally {
      setBusy(false);
    }
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
      <button type="submit" className="btn-primary" disabled={busy}>
        Save profile
      </button>
    </form>
  );
}

function ThemePicker({ user }: { user: User }) {
  const qc = useQueryClient();
  const { toast } = useToast();
  const saved = user.preferences.theme ?? "system";
  const [current, setCurrent] = useState<Theme>(saved);
  async function choose(theme: Theme) {
    setCurrent(theme);
    applyTheme(theme);
    try {
      const fresh = unwrap(await api.PATCH("/api/v1/users/me", { body: { preferences: { theme } } }));
      qc.setQueryData(ME_KEY, fresh);
    } catch (error) {
      setCurrent(saved);
      applyTheme(saved);
      toast({ kind: "error", message: `Theme not saved: ${describeError(error)}` });
    }
  }
  return (
    <fieldset>
      <legend className="mb-2 text-sm font-medium">Theme</legend>
      <div className="flex flex-wrap gap-4">
        {(["system", "light", "dark"] as const).map((theme) => (
          <label key={theme} className="flex items-center gap-2 text-sm">
            <input
              type="radio"
              name="theme"
              className="size-4"
              checked={current === theme}
              onChange={() => void choose(theme)}
            />
            {theme === "system" ? "Follow the system" : theme === "light" ? "Light" : "Dark"}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function PasswordForm() {
  const { toast } = useToast();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  async function submit(event: SyntheticEvent) {
    event.preventDefault();
    const found: Record<string, string> = {};
    if (!current) found.current_password = "Enter your current password.";
    const nextError = validateNewPassword(next);
    if (nextError) found.new_password = nextError;
    setErrors(found);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      unwrap(await api.POST("/api/v1/users/me/password", { body: { current_password: current, new_password: next } }));
      setCurrent("");
      setNext("");
      toast({ kind: "success", message: "Password changed; your other sessions were signed out" });
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) setErrors(error.fieldErrors());
      else if (error instanceof ApiError && error.status === 401 && error.problem.type.endsWith("invalid-credentials"))
        setErrors({ current_password: "That is not your current password." });
      else toast({ kind: "error", message: describeError(error) });
    } finally {
      setBusy(false);
    }
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
      <button type="submit" className="btn-primary" disabled={busy}>
        Change password
      </button>
    </form>
  );
}

function DangerZone() {
  const { logoutEverywhere, forget } = useAuth();
  const { toast } = useToast();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | undefined>();

  async function deleteAccount(event: SyntheticEvent) {
    event.preventDefault();
    if (!password) {
      setError("Enter your password to confirm.");
      return;
    }
    try {
      unwrap(await api.DELETE("/api/v1/users/me", { body: { password } }));
      forget();
      void navigate("/signup", { replace: true });
    } catch (err) {
      if (err instanceof ApiError && (err.status === 422 || err.status === 401))
        setError(err.fieldErrors().password ?? "That password is not right.");
      else setError(describeError(err));
    }
  }

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <p className="font-medium">Log out everywhere</p>
          <p className="text-sm text-slate-600 dark:text-slate-400">Ends every session, on every device, this one too.</p>
        </div>
        <button
          type="button"
          className="btn-secondary"
          onClick={() =>
            void logoutEverywhere().then(
              () => navigate("/login", { replace: true }),
              (err: unknown) => toast({ kind: "error", message: describeError(err) }),
            )
          }
        >
          Log out everywhere
        </button>
      </div>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <p className="font-medium">Delete account</p>
          <p className="text-sm text-slate-600 dark:text-slate-400">Removes your account and all its tasks for good.</p>
        </div>
        <button type="button" className="btn-danger" onClick={() => setOpen(true)}>
          Delete account…
        </button>
      </div>
      <Dialog open={open} title="Delete your account?" onClose={() => setOpen(false)}>
        <form noValidate onSubmit={deleteAccount} className="space-y-4">
          <p className="text-sm">This cannot be undone. Enter your password to confirm.</p>
          <Field
            label="Password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={error}
          />
          <div className="flex justify-end gap-2">
            <button type="button" className="btn-secondary" onClick={() => setOpen(false)}>
              Cancel
            </button>
            <button type="submit" className="btn-danger">
              Delete account
            </button>
          </div>
        </form>
      </Dialog>
    </div>
  );
}

export default function SettingsPage() {
  const { user } = useAuth();
  return (
    <div className="max-w-2xl space-y-6">
      <h1 className="text-2xl font-semibold">Settings</h1>
      {!user ? (
        <Skeleton className="h-64" />
      ) : (
        <>
          <section aria-labelledby="profile-title" className="card space-y-4">
            <h2 id="profile-title" className="text-lg font-semibold">
              Profile
            </h2>
            <ProfileForm user={user} />
          </section>
          <section aria-labelledby="look-title" className="card space-y-4">
            <h2 id="look-title" className="text-lg font-semibold">
              Appearance
            </h2>
            <ThemePicker user={user} />
          </section>
          <section aria-labelledby="password-title" className="card space-y-4">
            <h2 id="password-title" className="text-lg font-semibold">
              Password
            </h2>
            <PasswordForm />
          </section>
          <section aria-labelledby="account-title" className="card space-y-4">
            <h2 id="account-title" className="text-lg font-semibold">
              Account
            </h2>
            <DangerZone />
          </section>
        </>
      )}
    </div>
  );
}
