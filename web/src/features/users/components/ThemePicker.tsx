import { useState } from "react";
import { describeError, type User } from "../../../api/problem";
import { useToast } from "../../../components/toast-context";
import type { Theme } from "../../../lib/theme";
import { useUpdateTheme } from "../api/update-theme";

/**
 * The radio follows the click at once (in the same event, as a form control must); the theme
 * itself changes with the cached profile, optimistically, and a refused save puts both back.
 */
export function ThemePicker({ user }: { user: User }) {
  const { toast } = useToast();
  const [picked, setPicked] = useState<Theme | null>(null);
  const current = picked ?? user.preferences.theme ?? "system";
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
              onChange={() => {
                setPicked(theme);
                choose.mutate(theme, { onSettled: () => setPicked(null) });
              }}
            />
            {theme === "system" ? "Follow the system" : theme === "light" ? "Light" : "Dark"}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
