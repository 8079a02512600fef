import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { expect, it, vi } from "vitest";
import type { Task, User } from "../../../api/problem";
import { AuthContext, type AuthApi } from "../../../auth/auth-context";
import { reminderLabel } from "../reminders";
import { TaskForm } from "./TaskForm";

function renderForm(task?: Task, preference: number[] | null = [30]) {
  const onSubmit = vi.fn();
  const user = { timezone: "UTC", preferences: { reminder_offsets: preference } } as User;
  render(
    <QueryClientProvider client={new QueryClient()}>
      <AuthContext.Provider value={{ status: "authenticated", user } as AuthApi}>
        <TaskForm task={task} onSubmit={onSubmit} onCancel={vi.fn()} />
      </AuthContext.Provider>
    </QueryClientProvider>,
  );
  return onSubmit;
}

it("names offsets in words", () => {
  expect([0, 1, 15, 60, 90, 1440, 2880, 10080].map(reminderLabel)).toEqual([
    "At the due time",
    "1 minute before",
    "15 minutes before",
    "1 hour before",
    "90 minutes before",
    "1 day before",
    "2 days before",
    "1 week before",
  ]);
});

it("keeps a new task on the account's default reminders unless others are chosen", async () => {
  const onSubmit = renderForm();
  await userEvent.type(screen.getByLabelText("Title"), "Plants");
  const useDefault = screen.getByRole("checkbox", { name: "My default reminders (30 minutes before)" });
  expect(useDefault).toBeChecked();
  await userEvent.click(screen.getByRole("button", { name: "Create task" }));
  expect(onSubmit).toHaveBeenLastCalledWith(expect.objectContaining({ reminder_offsets: null }));

  await userEvent.click(useDefault); // own choice, starting from the default
  expect(screen.getByRole("checkbox", { name: "30 minutes before" })).toBeChecked();
  await userEvent.click(screen.getByRole("checkbox", { name: "1 day before" }));
  await userEvent.click(screen.getByRole("checkbox", { name: "At the due time" }));
  await userEvent.click(screen.getByRole("checkbox", { name: "30 minutes before" }));
  await userEvent.click(screen.getByRole("button", { name: "Create task" }));
  expect(onSubmit).toHaveBeenLastCalledWith(expect.objectContaining({ reminder_offsets: [0, 1440] }));

  await userEvent.click(screen.getByRole("checkbox", { name: "At the due time" }));
  await userEvent.click(screen.getByRole("checkbox", { name: "1 day before" }));
  expect(screen.getByText("No reminders for this task.")).toBeInTheDocument();
  await userEvent.click(screen.getByRole("button", { name: "Create task" }));
  expect(onSubmit).toHaveBeenLastCalledWith(expect.objectContaining({ reminder_offsets: [] }));
}, 20_000);

it("shows a task's own offsets, even ones it does not offer, and takes at most five", async () => {
  const task = {
    id: "t1",
    title: "Renew the passport",
    description: null,
    status: "todo",
    priority: "medium",
    due_at: "2026-12-20T09:00:00Z",
    tags: [],
    project_id: "g1",
    assignee_id: null,
    reminder_offsets: [15, 45, 1440, 10080],
  } as unknown as Task;
  const onSubmit = renderForm(task);
  expect(screen.getByRole("checkbox", { name: /My default reminders/ })).not.toBeChecked();
  expect(screen.getByRole("checkbox", { name: "45 minutes before" })).toBeChecked();
  await userEvent.click(screen.getByRole("checkbox", { name: "At the due time" })); // the fifth
  expect(screen.getByRole("checkbox", { name: "1 hour before" })).toBeDisabled();
  expect(screen.getByRole("checkbox", { name: "45 minutes before" })).toBeEnabled();
  await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
  expect(onSubmit).toHaveBeenLastCalledWith(expect.objectContaining({ reminder_offsets: [0, 15, 45, 1440, 10080] }));
}, 20_000);

it("shows the server's refusal under the reminders", () => {
  const onSubmit = vi.fn();
  render(
    <QueryClientProvider client={new QueryClient()}>
      <AuthContext.Provider value={{ status: "authenticated", user: { timezone: "UTC" } as User } as AuthApi}>
        <TaskForm serverErrors={{ reminder_offsets: "List should have at most 5 items" }} onSubmit={onSubmit} onCancel={vi.fn()} />
      </AuthContext.Provider>
    </QueryClientProvider>,
  );
  expect(screen.getByText("List should have at most 5 items")).toBeInTheDocument();
  expect(screen.getByRole("group", { name: "Reminders" })).toHaveAccessibleDescription("List should have at most 5 items");
});
