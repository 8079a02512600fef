import { useState, type SyntheticEvent } from "react";
import { useNavigate } from "react-router";
import { ApiError, describeError } from "../../../api/problem";
import { useAuth } from "../../../auth/auth-context";
import { Dialog } from "../../../components/Dialog";
import { Field } from "../../../components/Field";
import { useToast } from "../../../components/toast-context";
import { useDeleteAccount } from "../api/delete-account";

export function DangerZone() {
  const { logoutEverywhere, forget } = useAuth();
  const { toast } = useToast();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | undefined>();
  const remove = useDeleteAccount({
    onSuccess: () => {
      forget();
      void navigate("/signup", { replace: true });
    },
    onError: (err) => {
      if (err instanceof ApiError && (err.status === 422 || err.status === 401))
        setError(err.fieldErrors().password ?? "That password is not right.");
      else setError(describeError(err));
    },
  });

  function deleteAccount(event: SyntheticEvent) {
    event.preventDefault();
    if (!password) setError("Enter your password to confirm.");
    else remove.mutate(password);
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
            <button type="submit" className="btn-danger" disabled={remove.isPending}>
              Delete account
            </button>
          </div>
        </form>
      </Dialog>
    </div>
  );
}
