import { createContext, useContext } from "react";
import type { User } from "../api/problem";

export type AuthStatus = "loading" | "authenticated" | "anonymous";

export interface AuthApi {
  status: AuthStatus;
  /** The user signed out here (not an expired session): no "come back to" page. */
  signedOut: boolean;
  user: User | undefined;
  login: (email: string, password: string) => Promise<void>;
  register: (name: string, email: string, password: string, timezone?: string) => Promise<void>;
  /** Chooses a new password with an emailed token; signs in like login does. */
  resetPassword: (token: string, newPassword: string) => Promise<void>;
  logout: () => Promise<void>;
  logoutEverywhere: () => Promise<void>;
  /** Forget the session locally (after the account is deleted). */
  forget: () => void;
}

export const AuthContext = createContext<AuthApi | null>(null);

export function useAuth(): AuthApi {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth outside AuthProvider");
  return auth;
}
