import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetSessionForTests } from "../../../auth/session";
import { json } from "../../../test/render";
import { useMarkAllRead } from "./mark-all-read";
import { useMarkRead } from "./mark-read";
import { notificationKeys, type NotificationItem, type NotificationPage, type UnreadCount } from "./notification-cache";

const item = (id: string, read_at: string | null = null): NotificationItem => ({
  id,
  kind: "reminder",
  task_id: `task-${id}`,
  title: `Task ${id}`,
  body: "Due now",
  created_at: "2026-01-01T10:00:00Z",
  read_at,
});

function setup() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
  const page: NotificationPage = { items: [item("a"), item("b"), item("c", "2026-01-01T11:00:00Z")], next_cursor: null };
  client.setQueryData(notificationKeys.list(), page);
  client.setQueryData<UnreadCount>(notificationKeys.unread(), { unread: 2 });
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={client}>{children}</QueryClientProvider>
  );
  return {
    wrapper,
    page,
    unread: () => client.getQueryData<UnreadCount>(notificationKeys.unread())?.unread,
    readAt: (id: string) =>
      client.getQueryData<NotificationPage>(notificationKeys.list())?.items.find((n) => n.id === id)?.read_at,
    list: () => client.getQueryData<NotificationPage>(notificationKeys.list()),
  };
}

/** Answers the one request with `response` once the test calls the returned function. */
function holdRequest(response: Response) {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const fetch = vi.fn<(input: RequestInfo | URL) => Promise<Response>>(async () => {
    await gate;
    return response;
  });
  vi.stubGlobal("fetch", fetch);
  return { fetch, release: () => release() };
}

const unavailable = () => json({ type: "about:blank", title: "Unavailable", status: 503, detail: "Later." }, 503);

beforeEach(() => resetSessionForTests());
afterEach(() => vi.unstubAllGlobals());

describe("useMarkRead", () => {
  it("reads at once and puts the notification and the count back when the server fails", async () => {
    const cache = setup();
    const http = holdRequest(unavailable());
    const onError = vi.fn();
    const { result } = renderHook(() => useMarkRead({ onError }), { wrapper: cache.wrapper });

    act(() => result.current.mutate(item("a")));
    await waitFor(() => expect(cache.unread()).toBe(1));
    expect(cache.readAt("a")).not.toBeNull();
    expect(cache.readAt("b")).toBeNull();
    await waitFor(() => expect(http.fetch).toHaveBeenCalledOnce());
    const request = http.fetch.mock.calls[0]?.[0] as Request;
    expect(request.method).toBe("POST");
    expect(new URL(request.url).pathname).toBe("/api/v1/notifications/a/read");

    http.release();
    await waitFor(() => expect(result.current.isError).toBe(true));
    expect(cache.unread()).toBe(2);
    expect(cache.list()).toEqual(cache.page);
    expect(onError).toHaveBeenCalledOnce();
  });

  it("does not count a notification that was already read", async () => {
    const cache = setup();
    const http = holdRequest(new Response(null, { status: 204 }));
    const { result } = renderHook(() => useMarkRead(), { wrapper: cache.wrapper });
    act(() => result.current.mutate(item("c", "2026-01-01T11:00:00Z")));
    await waitFor(() => expect(http.fetch).toHaveBeenCalledOnce());
    expect(cache.unread()).toBe(2);
    http.release();
    await waitFor(() => expect(result.current.isSuccess).toBe(true));
  });
});

describe("useMarkAllRead", () => {
  it("clears the count at once and puts it back when the server fails", async () => {
    const cache = setup();
    const http = holdRequest(unavailable());
    const { result } = renderHook(() => useMarkAllRead(), { wrapper: cache.wrapper });
    act(() => result.current.mutate());
    await waitFor(() => expect(cache.unread()).toBe(0));
    expect(cache.list()?.items.every((n) => n.read_at !== null)).toBe(true);
    http.release();
    await waitFor(() => expect(result.current.isError).toBe(true));
    expect(cache.unread()).toBe(2);
    expect(cache.list()).toEqual(cache.page);
  });
});
