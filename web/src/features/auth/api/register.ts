import { api } from "../../../api/client";
import { unwrap } from "../../../api/problem";

export async function register(name: string, email: string, password: string): Promise<void> {
  unwrap(await api.POST("/api/v1/auth/register", { body: { name, email, password } }));
}
