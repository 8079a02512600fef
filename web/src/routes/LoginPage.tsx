import { useState, type SyntheticEvent } from "react";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router";
import { ApiError, describeError } from "../api/problem";
import { useAuth } from "../auth/auth-context";
import { Field } from "../components/Field";
import { compact, safeNext, validateEmail, type Errors } from "../lib/validation";
import { AuthLayout, FormAlert } from "./AuthLayout";

type Key = "email" | "password";

export default function LoginPage() {
  const { login, status } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<Errors<Key>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = safeNext(params.get("next"));

  if (status === "authenticated") return <Navigate to={next} replace />;

  async function onSubmit(event: SyntheticEvent) {
    event.preventDefault();
    setFormError(null);
    const found = compact<Key>({
      email: validateEmail(email),
      password: password ? undefined : "Enter your password.",
    });
    setErrors(found);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      await login(email.trim(), password);
      void navigate(next, { replace: true });
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) setErrors(error.fieldErrors());
      else if (error instanceof ApiError && error.status === 401)
        setFormError("The email or password is not right.");
      else setFormError(describeError(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <AuthLayout title="Log in">
      <form noValidate onSubmit={onSubmit} className="space-y-4">
        <FormAlert message={formError} />
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
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.password}
        />
        <p className="text-right text-sm">
          <Link to="/forgot-password" className="font-medium text-indigo-700 underline dark:text-indigo-300">
            Forgot password?
          </Link>
        </p>
        <button type="submit" className="btn-primary w-full" disabled={busy}>
          {busy ? "Logging in…" : "Log in"}
        </button>
      </form>
      <p className="mt-5 text-center text-sm">
        New to Tasklane?{" "}
        <Link to="/signup" className="font-medium text-indigo-700 underline dark:text-indigo-300">
          Create an account
        </Link>
      </p>
    </AuthLayout>
  );
}
