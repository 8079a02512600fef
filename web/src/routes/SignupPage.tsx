import { useState, type SyntheticEvent } from "react";
import { Link, Navigate, useNavigate } from "react-router";
import { ApiError, describeError } from "../api/problem";
import { useAuth } from "../auth/auth-context";
import { Field } from "../components/Field";
import {
  compact,
  PASSWORD_MIN,
  validateEmail,
  validateName,
  validateNewPassword,
  type Errors,
} from "../lib/validation";
import { browserZoneName } from "../lib/zones";
import { AuthLayout, FormAlert } from "./AuthLayout";

type Key = "name" | "email" | "password";

export default function SignupPage() {
  const { register, status } = useAuth();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<Errors<Key>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (status === "authenticated") return <Navigate to="/" replace />;

  async function onSubmit(event: SyntheticEvent) {
    event.preventDefault();
    setFormError(null);
    const found = compact<Key>({
      name: validateName(name),
      email: validateEmail(email),
      password: validateNewPassword(password),
    });
    setErrors(found);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      // The account starts in the browser's zone (its current IANA name).
      await register(name.trim(), email.trim(), password, browserZoneName());
      void navigate("/", { replace: true });
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) {
        const fields = error.fieldErrors();
        setErrors(fields);
        if (!Object.keys(fields).length) setFormError(describeError(error));
      } else if (error instanceof ApiError && error.status === 409) {
        setErrors({ email: "An account with this email already exists. Log in instead?" });
      } else setFormError(describeError(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <AuthLayout title="Create your account">
      <form noValidate onSubmit={onSubmit} className="space-y-4">
        <FormAlert message={formError} />
        <Field
          label="Name"
          name="name"
          autoComplete="name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={errors.name}
        />
        <Field
          label="Email"
          type="email"
          name="email"
          autoComplete="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={errors.email}
        />
        <Field
          label="Password"
          type="password"
          name="password"
          autoComplete="new-password"
          hint={`At least ${PASSWORD_MIN} characters.`}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.password}
        />
        <button type="submit" className="btn-primary w-full" disabled={busy}>
          {busy ? "Creating account…" : "Create account"}
        </button>
      </form>
      <p className="mt-5 text-center text-sm">
        Already have an account?{" "}
        <Link to="/login" className="font-medium text-indigo-700 underline dark:text-indigo-300">
          Log in
        </Link>
      </p>
    </AuthLayout>
  );
}
