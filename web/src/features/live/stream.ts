import type { QueryClient } from "@tanstack/react-query";
import { getAccessToken, refreshAccessToken, subscribe } from "../../auth/session";
import { applyEvent, type LiveEvent } from "./apply-event";
import { SseParser } from "./sse";

export interface StreamOptions {
  /** Resume after this event (sent as Last-Event-ID on the first connection). */
  lastEventId?: string;
}

export const EVENTS_PATH = "/api/v1/events";
const FIRST_DELAY_MS = 1_000;
const MAX_DELAY_MS = 30_000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Resolves with the next access token another part of the app (or tab) sets. */
function nextToken(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const stop = subscribe((token) => {
      if (token) done();
    });
    function done() {
      stop();
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Reads GET /api/v1/events with fetch (EventSource cannot send the bearer token) and hands each
 * event to `onEvent`, for as long as the returned function is not called. `lastEventId` resumes
 * after an event seen elsewhere (the tab that held the stream before).
 * The stream ends when the token expires (reconnects, the 401 refreshes the token through the
 * session code), on a 401 (refresh, reconnect at once) or when the server drains or the network
 * fails (reconnect after 1 s, doubling up to 30 s while it keeps failing). Reconnects send
 * Last-Event-ID so nothing in between is lost.
 */
export function startLiveStream(onEvent: (event: LiveEvent) => void, options: StreamOptions = {}): () => void {
  const controller = new AbortController();
  const { signal } = controller;
  let lastEventId = options.lastEventId;
  let delay = FIRST_DELAY_MS;
  // A function, not the property, so the checks after each await are not narrowed away.
  const stopped = () => signal.aborted;

  async function connect(token: string): Promise<"unauthorized" | "ended"> {
    const headers: Record<string, string> = { Accept: "text/event-stream", Authorization: `Bearer ${token}` };
    if (lastEventId) headers["Last-Event-ID"] = lastEventId;
    const response = await fetch(`${location.origin}${EVENTS_PATH}`, { headers, signal, cache: "no-store" });
    if (response.status === 401) return "unauthorized";
    if (!response.ok || !response.body) return "ended";
    delay = FIRST_DELAY_MS;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return "ended";
        for (const message of parser.push(value)) {
          if (message.id) lastEventId = message.id;
          let event: LiveEvent;
          try {
            event = JSON.parse(message.data) as LiveEvent;
          } catch {
            // A malformed event is skipped; the lists catch up on their next fetch.
            continue;
          }
          try {
            onEvent(event);
          } catch {
            // An event the cache cannot take is skipped; the lists catch up on their next fetch.
          }
        }
      }
    } finally {
      reader.releaseLock();
    }
  }

  async function run(): Promise<void> {
    while (!stopped()) {
      let token = getAccessToken();
      if (!token) token = await refreshAccessToken();
      if (stopped()) return;
      if (!token) {
        await nextToken(signal);
        continue;
      }
      let outcome: "unauthorized" | "ended" | "failed";
      try {
        outcome = await connect(token);
      } catch {
        outcome = "failed";
      }
      if (stopped()) return;
      if (outcome === "unauthorized") {
        // Someone may have refreshed already; otherwise refresh through the shared session code.
        const fresh = getAccessToken() !== token ? getAccessToken() : await refreshAccessToken();
        if (fresh && fresh !== token) continue;
      }
      await sleep(delay, signal);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  }

  void run();
  return () => controller.abort();
}

/** One stream for this tab alone, applying its events to the cache. */
export function startLiveUpdates(qc: QueryClient): () => void {
  return startLiveStream((event) => applyEvent(qc, event));
}
