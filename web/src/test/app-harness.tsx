import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter } from "react-router";
import { vi } from "vitest";
import type { Task, User } from "../api/problem";
import { AuthContext, type AuthApi } from "../auth/auth-context";
import { ToastProvider } from "../components/Toasts";
import { TaskActionsProvider } from "../features/tasks/components/TaskActionsProvider";
import { LocationProbe } from "./render";

/** A task with the fields screens read; the rest as the schema grows. */
export function makeTask(id: string, overrides: Partial<Task> = {}): Task {
  // Fields a screen does not read need not be listed (the schema grows).
  const base = {
    id,
    title: `Task ${id}`,
    description: null,
    status: "todo",
    priority: "medium",
    due_at: null,
    completed_at: null,
    tags: [],
    project_id: "inbox",
    parent_id: null,
    position: "a0",
    subtasks_total: 0,
    subtasks_done: 0,
    assignee_id: null,
    version: 1,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    comment_count: 0,
  };
  return Object.assign(base, overrides) as Task;
}

export const testUser = { id: "me", name: "Erin Example", email: "erin@example.com", timezone: "UTC", preferences: {} } as unknown as User;

/**
 * A signed-in screen as the app draws it (router, queries, toasts, the task editor), against a
 * fetch stub: `answer` gets each request and returns the response.
 */
export function renderScreen(
  ui: ReactElement,
  answer: (request: Request) => Response | Promise<Response>,
  { route = "/", user = testUser }: { route?: string; user?: User } = {},
) {
  const sent: Request[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (request: Request) => {
      sent.push(request.clone());
      return answer(request);
    }),
  );
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const auth = { status: "authenticated", user } as AuthApi;
  const result = render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[route]}>
        <ToastProvider>
          <AuthContext.Provider value={auth}>
            <TaskActionsProvider>
              {ui}
              <LocationProbe />
            </TaskActionsProvider>
          </AuthContext.Provider>
        </ToastProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return { ...result, sent, client };
}
