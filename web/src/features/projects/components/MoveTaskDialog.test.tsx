import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, expect, it, vi } from "vitest";
import type { Task } from "../../../api/problem";
import { ToastProvider } from "../../../components/Toasts";
import { json } from "../../../test/render";
import { TaskMenu } from "../../tasks/components/TaskMenu";
import { TaskDialogsContext } from "../../tasks/task-actions";

const TASK = { id: "t1", title: "Paint the fence", status: "todo", project_id: "home", version: 3 } as Task;
const project = (id: string, name: string, role: string, is_inbox = false) => ({
  id, name, role, is_inbox, colour: "#3b82f6", position: 1, open_tasks: 0, parent_id: null, archived_at: null,
});

afterEach(() => vi.unstubAllGlobals());

it("moves a task to a project the user may edit, from the row menu", async () => {
  const patches: { body: unknown; ifMatch: string | null }[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (request: Request) => {
      if (request.method === "PATCH") {
        const body = (await request.json()) as object;
        patches.push({ body, ifMatch: request.headers.get("if-match") });
        return json({ ...TASK, ...body, version: 4 });
      }
      return json({
        items: [project("home", "Home", "owner"), project("inbox", "Inbox", "owner", true), project("shared", "Club", "viewer")],
      });
    }),
  );
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <ToastProvider>
        <TaskDialogsContext.Provider value={{ openEditor: vi.fn(), showConflict: vi.fn() }}>
          <TaskMenu task={TASK} />
        </TaskDialogsContext.Provider>
      </ToastProvider>
    </QueryClientProvider>,
  );
  await userEvent.click(screen.getByRole("button", { name: "Actions for “Paint the fence”" }));
  await userEvent.click(screen.getByRole("menuitem", { name: "Move to…" }));
  const dialog = screen.getByRole("dialog", { name: "Move “Paint the fence” to…" });
  // Not the project it is in, nor one the user only views.
  await waitFor(() => expect(within(dialog).getAllByRole("button").map((b) => b.textContent)).toEqual(["×", "Inbox"]));
  await userEvent.click(within(dialog).getByRole("button", { name: "Inbox" }));
  await waitFor(() => expect(patches).toEqual([{ body: { project_id: "inbox" }, ifMatch: '"3"' }]));
  expect(await screen.findByText("Moved to Inbox")).toBeInTheDocument();
  expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
});
