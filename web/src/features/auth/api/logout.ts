import { api, SAME_SITE } from "../../../api/client";
import { unwrap } from "../../../api/problem";

/** Ends this session. Its answer does not matter: the app forgets the session either way. */
export async function logout(): Promise<void> {
  await api.POST("/api/v1/auth/logout", { headers: SAME_SITE });
}

/** Ends every session of the account, on every device. */
export async function logoutEverywhere(): Promise<void> {
  unwrap(await api.POST("/api/v1/auth/logout-all", { headers: SAME_SITE }));
}
