/**
 * The access token lives here, in memory only. The refresh token is an HttpOnly cookie the
 * script never sees; {@link refreshAccessToken} trades it for a new access token.
 *
 * - Concurrent callers in one tab share one refresh (a single in-flight promise).
 * - Tabs take a Web Lock around the refresh, and announce new tokens on a BroadcastChannel, so a
 *   tab that waited for the lock reuses the token another tab just got instead of spending the
 *   rotating cookie a second time.
 */

export const AUTH_PREFIX = "/api/v1/auth";
const LOCK_NAME = "tasklane-auth-refresh";
const CHANNEL_NAME = "tasklane-auth";

type Listener = (token: string | null) => void;
type Message = { type: "token"; token: string } | { type: "signed-out" };

let accessToken: string | null = null;
let generation = 0;
let inflight: Promise<string | null> | null = null;
const listeners = new Set<Listener>();

const channel: BroadcastChannel | null =
  typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel(CHANNEL_NAME);

function apply(token: string | null): void {
  accessToken = token;
  generation += 1;
  for (const listener of listeners) listener(token);
}

if (channel) {
  channel.onmessage = (event: MessageEvent<Message>) => {
    const message = event.data;
    if (message.type === "token") apply(message.token);
    else if (accessToken !== null) apply(null);
  };
}

export function getAccessToken(): string | null {
  return accessToken;
}

/** Sets (or clears) the token and tells the other tabs. */
export function setAccessToken(token: string | null): void {
  apply(token);
  const message: Message = token ? { type: "token", token } : { type: "signed-out" };
  channel?.postMessage(message);
}

export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function withTabLock<T>(fn: () => Promise<T>): Promise<T> {
  const locks = typeof navigator === "undefined" ? undefined : navigator.locks;
  // The lock manager resolves with the callback's result.
  return locks ? (locks.request(LOCK_NAME, fn) as Promise<T>) : fn();
}

function origin(): string {
  return typeof location === "undefined" ? "" : location.origin;
}

async function callRefresh(): Promise<string | null> {
  const response = await fetch(`${origin()}${AUTH_PREFIX}/refresh`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-Requested-With": "XMLHttpRequest" },
  });
  if (!response.ok) {
    // No session: let go of the problem body, so the browser does not keep the request open.
    await response.body?.cancel();
    return null;
  }
  const body = (await response.json()) as { access_token: string };
  return body.access_token;
}

/**
 * A fresh access token from the refresh cookie, or null when there is no session. Every caller
 * that arrives while a refresh is running gets the same promise.
 */
export function refreshAccessToken(): Promise<string | null> {
  if (inflight) return inflight;
  const seen = generation;
  inflight = withTabLock(async () => {
    // Another tab refreshed while we waited for the lock: use its token.
    if (generation !== seen && accessToken) return accessToken;
    let token: string | null;
    try {
      token = await callRefresh();
    } catch {
      // The network failed: keep the current state, the caller sees its original error.
      return accessToken;
    }
    setAccessToken(token);
    return token;
  }).finally(() => {
    inflight = null;
  });
  return inflight;
}

function isSessionCall(url: string): boolean {
  const path = new URL(url, origin() || "http://localhost").pathname;
  return ["login", "register", "refresh", "logout", "password-reset", "password-reset/confirm"].some((p) => path === `${AUTH_PREFIX}/${p}`);
}

function authorized(request: Request, token: string | null): Request {
  const next = new Request(request);
  if (token) next.headers.set("Authorization", `Bearer ${token}`);
  return next;
}

/**
 * fetch for the API client: adds the bearer token; on a 401 refreshes (shared) and retries the
 * request once with the new token.
 */
export async function authFetch(request: Request): Promise<Response> {
  const retry = request.clone();
  const used = accessToken;
  const response = await fetch(authorized(request, used));
  if (response.status !== 401 || isSessionCall(request.url)) return response;
  const token = accessToken && accessToken !== used ? accessToken : await refreshAccessToken();
  if (!token) return response;
  return fetch(authorized(retry, token));
}

/** Test hook: forget everything. */
export function resetSessionForTests(): void {
  accessToken = null;
  generation = 0;
  inflight = null;
  listeners.clear();
}
