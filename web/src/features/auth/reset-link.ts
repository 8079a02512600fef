// The emailed link is `/reset-password#token=…`: in the fragment, the token is never sent to a
// server nor put in a Referer. The page reads it once and takes it out of the address bar.

export function tokenFromHash(hash: string): string | null {
  return new URLSearchParams(hash.replace(/^#/, "")).get("token") || null;
}

/** Removes the fragment from the address bar (history, bookmarks, screenshots, extensions). */
export function stripHash(): void {
  if (!window.location.hash) return;
  // The router's state object is kept, so its history entry stays its own.
  window.history.replaceState(window.history.state, "", window.location.pathname + window.location.search);
}
