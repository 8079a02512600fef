import { QueryClient, QueryClientProvider, useQuery } from "@tanstack/react-query";
import { act, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import type { Task } from "../../../api/problem";
import { resetSessionForTests } from "../../../auth/session";
import { json } from "../../../test/render";
import { useBulkUpdateTasks } from "./bulk-update-tasks";
import { taskKeys, type TaskPages } from "./task-cache";
import { useUpdateTask } from "./update-task";

const task = (id: string, overrides: Partial<Task> = {}): Task =>
  ({ id, title: `Task ${id}`, status: "todo", version: 1, tags: [], recurrence: null, ...overrides }) as Task;

/** A list on screen (an observed query, its fetches counted) and the server answering `answer`. */
function onScreen(answer: (request: Request) => unknown) {
  vi.stubGlobal(
    "fetch",
    vi.fn((request: Request) => Promise.resolve(json(answer(request)))),
  );
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
  const fetched = { count: 0 };
  const list = taskKeys.list({});
  const wrapper = ({ children }: { children: ReactNode }) => <QueryClientProvider client={client}>{children}</QueryClientProvider>;
  const listed = (): TaskPages => {
    fetched.count += 1;
    return { pages: [{ items: [], next_cursor: null }], pageParams: [null] };
  };
  return { client, wrapper, fetched, list, listed };
}

beforeEach(() => resetSessionForTests());
afterEach(() => vi.unstubAllGlobals());

it.each([
  ["a recurring task refetches the lists on screen (its next occurrence shows)", "FREQ=DAILY", 2],
  ["a task that does not repeat leaves them stale until next shown", null, 1],
])("completing %s", async (_, recurrence, fetches) => {
  const done = task("a", { status: "done", version: 2, recurrence });
  const { wrapper, fetched, list, listed } = onScreen(() => done);
  const { result } = renderHook(
    () => ({ shown: useQuery({ queryKey: list, queryFn: listed }), update: useUpdateTask() }),
    { wrapper },
  );
  await waitFor(() => expect(fetched.count).toBe(1));
  act(() => result.current.update.mutate({ task: task("a", { recurrence }), patch: { status: "done" } }));
  await waitFor(() => expect(result.current.update.isSuccess).toBe(true));
  await waitFor(() => expect(fetched.count).toBe(fetches));
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(fetched.count).toBe(fetches);
});

it("completing recurring tasks in bulk refetches the lists on screen", async () => {
  const { wrapper, fetched, list, listed } = onScreen(() => ({ action: "set_status", count: 1, items: [] }));
  const { result } = renderHook(
    () => ({ shown: useQuery({ queryKey: list, queryFn: listed }), bulk: useBulkUpdateTasks() }),
    { wrapper },
  );
  await waitFor(() => expect(fetched.count).toBe(1));
  act(() => result.current.bulk.mutate({ tasks: [task("a", { recurrence: "FREQ=WEEKLY" })], status: "done" }));
  await waitFor(() => expect(fetched.count).toBe(2));
});
