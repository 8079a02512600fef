import createClient from "openapi-fetch";
import { authFetch } from "../auth/session";
import type { paths } from "./schema";

export const api = createClient<paths>({
  baseUrl: typeof location === "undefined" ? "" : location.origin,
  fetch: authFetch,
  credentials: "same-origin",
});

/** Header the cookie-authenticated auth calls need. */
export const SAME_SITE = { "X-Requested-With": "XMLHttpRequest" } as const;
