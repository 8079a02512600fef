import { describeError, type User } from "../../../api/problem";
import { useToast } from "../../../components/toast-context";
import { useUpdateTheme } from "../api/update-theme";

/** The choice shows (and applies) at once; a refused save puts the old theme back. */
export function ThemePicker({ user }: { user: User }) {
  const { toast } = useToast();
  const current = user.preferences.theme ?? "system";
  const choose = useUpdateTheme({
    onError: (error) => toast({ kind: "error", message: `Theme not saved: ${describeError(error)}` }),
  });
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
              onChange={() => choose.mutate(theme)}
            />
            {theme === "system" ? "Follow the system" : theme === "light" ? "Light" : "Dark"}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
