import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Task } from "../../../api/problem";
import { resetSessionForTests } from "../../../auth/session";
import { json } from "../../../test/render";
import { useDeleteTasks } from "./delete-tasks";
import { taskKeys, type TaskPages } from "./task-cache";
import { useUpdateTask } from "./update-task";

function task(id: string, overrides: Partial<Task> = {}): Task {
  return {
    id,
    title: `Task ${id}`,
    description: null,
    status: "todo",
    priority: "medium",
    due_at: null,
    completed_at: null,
    tags: [],
    version: 1,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    ...overrides,
    // Fields the tests do not read (the schema grows) need not be listed.
  } as Task;
}

const pages = (...items: Task[]): TaskPages => ({ pages: [{ items, next_cursor: null }], pageParams: [null] });
const ALL = taskKeys.list({});
const TODO = taskKeys.list({ status: ["todo"] });
const DONE = taskKeys.list({ status: ["done"] });

/** Requests the hooks sent; each answer waits until the test releases it. */
function holdRequests() {
  const sent: Request[] = [];
  let answer: (response: Response) => void = () => undefined;
  vi.stubGlobal(
    "fetch",
    vi.fn((request: Request) => {
      sent.push(request);
      return new Promise<Response>((resolve) => (answer = resolve));
    }),
  );
  return { sent, answer: (response: Response) => answer(response) };
}

function setup() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
  const a = task("a");
  const b = task("b", { status: "done" });
  client.setQueryData(ALL, pages(a, b));
  client.setQueryData(TODO, pages(a));
  client.setQueryData(DONE, pages(b));
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={client}>{children}</QueryClientProvider>
  );
  const titles = (key: readonly unknown[]) =>
    client.getQueryData<TaskPages>(key)?.pages.flatMap((p) => p.items.map((t) => `${t.id}:${t.status}:${t.version}`));
  return { client, wrapper, a, b, titles };
}

beforeEach(() => resetSessionForTests());
afterEach(() => vi.unstubAllGlobals());

describe("useUpdateTask", () => {
  it("shows the change at once and puts every list back when the server refuses it", async () => {
    const { wrapper, a, titles } = setup();
    const http = holdRequests();
    const onError = vi.fn();
    const { result } = renderHook(() => useUpdateTask({ onError }), { wrapper });

    act(() => result.current.mutate({ task: a, patch: { status: "done" } }));

    // Optimistic: moved between the status lists before the server has answered.
    await waitFor(() => expect(titles(DONE)).toEqual(["a:done:1", "b:done:1"]));
    expect(titles(TODO)).toEqual([]);
    expect(titles(ALL)).toEqual(["a:done:1", "b:done:1"]);
    await waitFor(() => expect(http.sent).toHaveLength(1));
    expect(http.sent[0]?.method).toBe("PATCH");
    expect(http.sent[0]?.headers.get("If-Match")).toBe('"1"');

    http.answer(json({ type: "about:blank", title: "Not Found", status: 404, detail: "No such task." }, 404));

    await waitFor(() => expect(result.current.isError).toBe(true));
    expect(titles(TODO)).toEqual(["a:todo:1"]);
    expect(titles(DONE)).toEqual(["b:done:1"]);
    expect(titles(ALL)).toEqual(["a:todo:1", "b:done:1"]);
    expect(onError).toHaveBeenCalledOnce();
  });

  it("shows the server's newer version after a 412", async () => {
    const { wrapper, a, titles } = setup();
    const http = holdRequests();
    const onError = vi.fn();
    const { result } = renderHook(() => useUpdateTask({ onError }), { wrapper });

    act(() => result.current.mutate({ task: a, patch: { status: "done" } }));
    await waitFor(() => expect(http.sent).toHaveLength(1));
    const current = task("a", { status: "in_progress", priority: "urgent", version: 2 });
    http.answer(
      json({ type: "about:blank", title: "Precondition Failed", status: 412, detail: "Changed.", current }, 412),
    );

    await waitFor(() => expect(result.current.isError).toBe(true));
    expect(titles(ALL)).toEqual(["a:in_progress:2", "b:done:1"]);
    expect(titles(TODO)).toEqual([]);
    expect(titles(DONE)).toEqual(["b:done:1"]);
    expect(onError.mock.calls[0]?.[1]).toEqual({ task: a, patch: { status: "done" } });
  });

  it("keeps the server's answer and marks the counts and lists stale", async () => {
    const { client, wrapper, a, titles } = setup();
    client.setQueryData(taskKeys.stats(), { total: 2 });
    const http = holdRequests();
    const { result } = renderHook(() => useUpdateTask(), { wrapper });

    act(() => result.current.mutate({ task: a, patch: { status: "done" } }));
    await waitFor(() => expect(http.sent).toHaveLength(1));
    http.answer(json(task("a", { status: "done", version: 2, completed_at: "2026-01-02T00:00:00Z" })));

    await waitFor(() => expect(result.current.isSuccess).toBe(true));
    expect(titles(DONE)).toEqual(["a:done:2", "b:done:1"]);
    expect(client.getQueryState(taskKeys.stats())?.isInvalidated).toBe(true);
    expect(client.getQueryState(ALL)?.isInvalidated).toBe(true);
  });
});

describe("useDeleteTasks", () => {
  it("hides the tasks and sends the delete with If-Match at once (they go to the trash)", async () => {
    const { wrapper, a, titles } = setup();
    const http = holdRequests();
    const { result } = renderHook(() => useDeleteTasks(), { wrapper });

    act(() => result.current.mutate({ tasks: [a] }));
    await waitFor(() => expect(http.sent).toHaveLength(1));
    expect(titles(ALL)).toEqual(["b:done:1"]);
    expect(titles(TODO)).toEqual([]);
    expect(http.sent[0]?.method).toBe("DELETE");
    expect(http.sent[0]?.headers.get("If-Match")).toBe('"1"');
    http.answer(new Response(null, { status: 204 }));

    await waitFor(() => expect(result.current.isSuccess).toBe(true));
    expect(titles(ALL)).toEqual(["b:done:1"]);
  });

  it("puts the tasks back and reports a refused delete", async () => {
    const { wrapper, a, titles } = setup();
    const http = holdRequests();
    const onError = vi.fn();
    const { result } = renderHook(() => useDeleteTasks({ onError }), { wrapper });

    act(() => result.current.mutate({ tasks: [a] }));
    await waitFor(() => expect(http.sent).toHaveLength(1));
    http.answer(json({ type: "about:blank", title: "Forbidden", status: 403, detail: "You are a viewer." }, 403));

    await waitFor(() => expect(result.current.isError).toBe(true));
    expect(titles(TODO)).toEqual(["a:todo:1"]);
    expect(onError).toHaveBeenCalledOnce();
  });
});
