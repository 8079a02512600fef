import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";

/** Trades the credentials for an access token (and sets the refresh cookie). */
export async function login(email: string, password: string): Promise<string> {
  const data = unwrap(await api.POST("/api/v1/auth/login", { body: { email, password } }));
  return data.access_token;
}
