import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useState, type ReactNode } from "react";
import { confirmPasswordReset } from "../features/auth/api/confirm-password-reset";
import { login as startSession } from "../features/auth/api/login";
import { register as registerAccount } from "../features/auth/api/register";
import { logout as endSession, logoutEverywhere as endEverySession } from "../features/auth/api/logout";
import { clearDraft } from "../features/tasks/draft";
import { useMe } from "../features/users/api/get-me";
import { applyTheme } from "../lib/theme";
import { AuthContext, type AuthApi, type AuthStatus } from "./auth-context";
import { getAccessToken, refreshAccessToken, setAccessToken, subscribe } from "./session";

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<AuthStatus>(getAccessToken() ? "authenticated" : "loading");
  const [signedOut, setSignedOut] = useState(false);

  useEffect(() => {
    const unsubscribe = subscribe((token) => {
      setStatus(token ? "authenticated" : "anonymous");
      if (!token) queryClient.clear();
    });
    // Silent sign-in from the refresh cookie.
    if (!getAccessToken()) {
      void refreshAccessToken().then((token) => setStatus(token ? "authenticated" : "anonymous"));
    }
    return unsubscribe;
  }, [queryClient]);

  const me = useMe({ enabled: status === "authenticated" });

  const theme = me.data?.preferences.theme;
  useEffect(() => {
    if (theme) applyTheme(theme);
  }, [theme]);

  /** Every way in (login, a password reset) ends here with the new access token. */
  const signIn = useCallback((token: string) => {
    setSignedOut(false);
    setAccessToken(token);
  }, []);

  const login = useCallback(
    async (email: string, password: string) => {
      signIn(await startSession(email, password));
    },
    [signIn],
  );

  const resetPassword = useCallback(
    async (token: string, newPassword: string) => {
      signIn(await confirmPasswordReset({ token, new_password: newPassword }));
      // This browser may have been signed in as someone else: nothing cached stays.
      void queryClient.resetQueries();
    },
    [signIn, queryClient],
  );

  const register = useCallback(
    async (name: string, email: string, password: string, timezone?: string) => {
      await registerAccount(name, email, password, timezone);
      await login(email, password);
    },
    [login],
  );

  const forget = useCallback(() => {
    setSignedOut(true);
    setAccessToken(null);
    queryClient.clear();
    // Logging out drops the editor's draft kept for this tab (an expired session keeps it).
    clearDraft();
  }, [queryClient]);

  const logout = useCallback(async () => {
    try {
      await endSession();
    } finally {
      forget();
    }
  }, [forget]);

  const logoutEverywhere = useCallback(async () => {
    await endEverySession();
    forget();
  }, [forget]);

  const value = useMemo<AuthApi>(
    () => ({ status, signedOut, user: me.data, login, register, resetPassword, logout, logoutEverywhere, forget }),
    [status, signedOut, me.data, login, register, resetPassword, logout, logoutEverywhere, forget],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
