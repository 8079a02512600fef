import type { QueryClient } from "@tanstack/react-query";
import { applyEvent, type LiveEvent } from "./apply-event";
import { startLiveStream, type StreamOptions } from "./stream";

/**
 * One event stream per browser rather than per tab (HTTP/1.1 allows six connections per origin,
 * and every open stream holds one). The tabs elect a leader with a Web Lock: the tab holding
 * `tasklane-live-stream` reads GET /api/v1/events and passes each event to the others on a
 * BroadcastChannel; the others wait in the lock's queue. When the leader goes (closed, signed
 * out, navigated away) the browser releases its lock and the next tab takes over, resuming after
 * the last event every tab has seen (Last-Event-ID), so nothing in between is lost. Where Web
 * Locks or BroadcastChannel are missing, each tab keeps its own stream.
 */
export const LEADER_LOCK = "tasklane-live-stream";
export const EVENTS_CHANNEL = "tasklane-live-events";

interface EventMessage {
  type: "event";
  event: LiveEvent;
}

/** What the election needs of the Web Locks API (navigator.locks). */
export interface LeaderLocks {
  request(name: string, options: { signal?: AbortSignal }, callback: () => Promise<void>): Promise<unknown>;
}

export interface SharedStreamDeps {
  locks: LeaderLocks | undefined;
  openChannel: ((name: string) => BroadcastChannel) | undefined;
  startStream: (onEvent: (event: LiveEvent) => void, options: StreamOptions) => () => void;
}

function browserDeps(): SharedStreamDeps {
  return {
    locks: typeof navigator === "undefined" ? undefined : navigator.locks,
    openChannel: typeof BroadcastChannel === "undefined" ? undefined : (name) => new BroadcastChannel(name),
    startStream: startLiveStream,
  };
}

export interface SharedStream {
  stop: () => void;
  /** Whether this tab holds the stream now (for tests and diagnostics). */
  isLeader: () => boolean;
}

/** Hands every event of the account to `onEvent` in this tab, over the browser's one stream. */
export function startSharedStream(onEvent: (event: LiveEvent) => void, deps: SharedStreamDeps = browserDeps()): SharedStream {
  const { locks, openChannel, startStream } = deps;
  if (!locks || !openChannel) {
    const stop = startStream(onEvent, {});
    return { stop, isLeader: () => true };
  }
  const controller = new AbortController();
  const channel = openChannel(EVENTS_CHANNEL);
  let lastEventId: string | undefined;
  let leading = false;

  const seen = (event: LiveEvent) => {
    lastEventId = event.id;
    onEvent(event);
  };
  channel.onmessage = (message: MessageEvent<EventMessage | undefined>) => {
    if (!leading && message.data?.type === "event") seen(message.data.event);
  };

  locks
    .request(LEADER_LOCK, { signal: controller.signal }, () => {
      if (controller.signal.aborted) return Promise.resolve();
      leading = true;
      return new Promise<void>((release) => {
        const stop = startStream(
          (event) => {
            seen(event);
            channel.postMessage({ type: "event", event } satisfies EventMessage);
          },
          { lastEventId },
        );
        controller.signal.addEventListener(
          "abort",
          () => {
            stop();
            leading = false;
            release();
          },
          { once: true },
        );
      });
    })
    .catch(() => {
      // Stopped while waiting for the lock (an AbortError): nothing to undo. Any other refusal
      // (a context without the lock manager's permission): this tab keeps its own stream.
      if (controller.signal.aborted) return;
      leading = true;
      const stop = startStream(seen, { lastEventId });
      controller.signal.addEventListener("abort", stop, { once: true });
    });

  return {
    stop: () => {
      controller.abort();
      channel.close();
    },
    isLeader: () => leading,
  };
}

/** The shared stream, applying its events to this tab's cache. */
export function startSharedLiveUpdates(qc: QueryClient, deps?: SharedStreamDeps): () => void {
  return startSharedStream((event) => applyEvent(qc, event), deps).stop;
}
