import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useState, type ReactNode } from "react";
import { api, SAME_SITE } from "../api/client";
import { unwrap } from "../api/problem";
import { applyTheme } from "../lib/theme";
import { AuthContext, ME_KEY, type AuthApi, type AuthStatus } from "./auth-context";
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

  const me = useQuery({
    queryKey: ME_KEY,
    queryFn: async () => unwrap(await api.GET("/api/v1/users/me")),
    enabled: status === "authenticated",
    staleTime: 60_000,
  });

  const theme = me.data?.preferences.theme;
  useEffect(() => {
    if (theme) applyTheme(theme);
  }, [theme]);

  const login = useCallback(async (email: string, password: string) => {
    const data = unwrap(
      await api.POST("/api/v1/auth/login", { body: { email, password } }),
    );
    setSignedOut(false);
    setAccessToken(data.access_token);
  }, []);

  const register = useCallback(
    async (name: string, email: string, password: string) => {
      unwrap(await api.POST("/api/v1/auth/register", { body: { name, email, password } }));
      await login(email, password);
    },
    [login],
  );

  const forget = useCallback(() => {
    setSignedOut(true);
    setAccessToken(null);
    queryClient.clear();
  }, [queryClient]);

  const logout = useCallback(async () => {
    try {
      await api.POST("/api/v1/auth/logout", { headers: SAME_SITE });
    } finally {
      forget();
    }
  }, [forget]);

  const logoutEverywhere = useCallback(async () => {
    unwrap(await api.POST("/api/v1/auth/logout-all", { headers: SAME_SITE }));
    forget();
  }, [forget]);

  const value = useMemo<AuthApi>(
    () => ({ status, signedOut, user: me.data, login, register, logout, logoutEverywhere, forget }),
    [status, signedOut, me.data, login, register, logout, logoutEverywhere, forget],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
