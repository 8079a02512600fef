import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";

/** Creates the account in `timezone` (the browser's, as the sign-up form asks it). */
export async function register(name: string, email: string, password: string, timezone?: string): Promise<void> {
  unwrap(await api.POST("/api/v1/auth/register", { body: { name, email, password, ...(timezone ? { timezone } : {}) } }));
}
