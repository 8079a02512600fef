import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, expect, it, vi } from "vitest";
import type { Task, User } from "../../../api/problem";
import { AuthContext, type AuthApi } from "../../../auth/auth-context";
import { json } from "../../../test/render";
import { TaskForm } from "./TaskForm";

afterEach(() => vi.unstubAllGlobals());

const member = (user_id: string, name: string) => ({ user_id, name, email: `${user_id}@example.com`, role: "editor", joined_at: "2026-01-01T00:00:00Z" });

it("assigns a task to a member of its project, or to nobody", async () => {
  const asked: string[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn((request: Request) => {
      asked.push(new URL(request.url).pathname);
      return Promise.resolve(json({ members: [member("u1", "Erin Example"), member("u2", "Sam Sample")], invitations: [] }));
    }),
  );
  const onSubmit = vi.fn();
  const task = { id: "t1", title: "Paint the fence", description: null, status: "todo", priority: "medium", due_at: null, tags: [], project_id: "g1", assignee_id: "u1" } as unknown as Task;
  render(
    <QueryClientProvider client={new QueryClient()}>
      <AuthContext.Provider value={{ status: "authenticated", user: { timezone: "UTC" } as User } as AuthApi}>
        <TaskForm task={task} onSubmit={onSubmit} onCancel={vi.fn()} />
      </AuthContext.Provider>
    </QueryClientProvider>,
  );
  const select = await screen.findByLabelText("Assignee");
  expect(select).toHaveValue("u1");
  expect(asked).toEqual(["/api/v1/projects/g1/members"]);
  await userEvent.selectOptions(select, "Sam Sample");
  await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
  expect(onSubmit).toHaveBeenLastCalledWith(expect.objectContaining({ assignee_id: "u2" }));
  await userEvent.selectOptions(select, "Nobody");
  await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
  expect(onSubmit.mock.lastCall?.[0]).not.toHaveProperty("assignee_id");
});
