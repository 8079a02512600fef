import { describe, expect, it, vi } from "vitest";
import type { LiveEvent } from "./apply-event";
import { startSharedStream, type LeaderLocks, type SharedStreamDeps } from "./shared-stream";
import type { StreamOptions } from "./stream";

/** A browser's lock manager: one holder of each lock at a time, the others queued in order. */
class FakeLocks implements LeaderLocks {
  private held = new Set<string>();
  private queue: { name: string; run: () => void; signal?: AbortSignal }[] = [];

  request(name: string, options: { signal?: AbortSignal }, callback: () => Promise<void>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const signal = options.signal;
      const run = () => {
        this.held.add(name);
        callback()
          .then(resolve, reject)
          .finally(() => {
            this.held.delete(name);
            this.next(name);
          });
      };
      if (!this.held.has(name)) return run();
      const entry = { name, run, signal };
      this.queue.push(entry);
      signal?.addEventListener("abort", () => {
        this.queue = this.queue.filter((e) => e !== entry);
        reject(new DOMException("aborted", "AbortError"));
      });
    });
  }

  private next(name: string) {
    const index = this.queue.findIndex((e) => e.name === name);
    if (index < 0) return;
    const [entry] = this.queue.splice(index, 1);
    entry!.run();
  }
}

/** BroadcastChannels of one browser: a message reaches every other channel of its name. */
class FakeChannels {
  private open = new Set<FakeChannel>();
  make = (name: string) => new FakeChannel(name, this.open) as unknown as BroadcastChannel;
}

class FakeChannel {
  onmessage: ((event: MessageEvent) => void) | null = null;
  constructor(
    readonly name: string,
    private open: Set<FakeChannel>,
  ) {
    open.add(this);
  }
  postMessage(data: unknown) {
    for (const other of this.open) {
      if (other !== this && other.name === this.name) queueMicrotask(() => other.onmessage?.({ data } as MessageEvent));
    }
  }
  close() {
    this.open.delete(this);
  }
}

/** The server side: every stream opened, and a way to send an event down the live ones. */
function fakeServer() {
  const streams: { options: StreamOptions; onEvent: (e: LiveEvent) => void; open: boolean }[] = [];
  const startStream = vi.fn((onEvent: (e: LiveEvent) => void, options: StreamOptions) => {
    const stream = { options, onEvent, open: true };
    streams.push(stream);
    return () => {
      stream.open = false;
    };
  });
  const send = (id: string) => {
    const event: LiveEvent = { id, kind: "task.updated", subject_id: "t", payload: {}, created_at: "" };
    for (const s of streams) if (s.open) s.onEvent(event);
  };
  return { streams, startStream, send, live: () => streams.filter((s) => s.open).length };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

function browser() {
  const locks = new FakeLocks();
  const channels = new FakeChannels();
  const server = fakeServer();
  const deps: SharedStreamDeps = { locks, openChannel: channels.make, startStream: server.startStream };
  const tab = () => {
    const seen: string[] = [];
    const shared = startSharedStream((e) => seen.push(e.id), deps);
    return { seen, ...shared };
  };
  return { server, tab };
}

describe("one event stream per browser", () => {
  it("opens one stream for all tabs and hands its events to each", async () => {
    const { server, tab } = browser();
    const first = tab();
    const second = tab();
    const third = tab();
    await flush();
    expect(server.live()).toBe(1);
    expect([first.isLeader(), second.isLeader(), third.isLeader()]).toEqual([true, false, false]);

    server.send("e1");
    server.send("e2");
    await flush();
    for (const t of [first, second, third]) expect(t.seen).toEqual(["e1", "e2"]);
  });

  it("moves the stream to another tab when the leader goes, resuming after the last event", async () => {
    const { server, tab } = browser();
    const first = tab();
    const second = tab();
    await flush();
    server.send("e1");
    await flush();

    first.stop();
    await flush();
    expect(server.live()).toBe(1);
    expect(second.isLeader()).toBe(true);
    expect(server.streams.at(-1)!.options.lastEventId).toBe("e1");
    server.send("e2");
    await flush();
    expect(second.seen).toEqual(["e1", "e2"]);
    expect(first.seen).toEqual(["e1"]);
  });

  it("a tab that stops while waiting never opens a stream", async () => {
    const { server, tab } = browser();
    const first = tab();
    const second = tab();
    await flush();
    second.stop();
    first.stop();
    await flush();
    expect(server.startStream).toHaveBeenCalledTimes(1);
    expect(server.live()).toBe(0);
  });

  it("keeps a stream of its own when the lock manager refuses", async () => {
    const server = fakeServer();
    const refusing: LeaderLocks = { request: () => Promise.reject(new DOMException("no", "SecurityError")) };
    const seen: string[] = [];
    const shared = startSharedStream((e) => seen.push(e.id), {
      locks: refusing,
      openChannel: new FakeChannels().make,
      startStream: server.startStream,
    });
    await flush();
    expect(server.live()).toBe(1);
    server.send("e1");
    expect(seen).toEqual(["e1"]);
    shared.stop();
    expect(server.live()).toBe(0);
  });

  it("falls back to a stream per tab without Web Locks or BroadcastChannel", async () => {
    const server = fakeServer();
    const unsupported: SharedStreamDeps[] = [
      { locks: undefined, openChannel: new FakeChannels().make, startStream: server.startStream },
      { locks: new FakeLocks(), openChannel: undefined, startStream: server.startStream },
    ];
    for (const deps of unsupported) {
      const seen: string[] = [];
      startSharedStream((e) => seen.push(e.id), deps);
      expect(seen).toEqual([]);
    }
    await flush();
    expect(server.live()).toBe(2);
    server.send("e1");
    expect(server.streams.every((s) => s.options.lastEventId === undefined)).toBe(true);
  });
});
