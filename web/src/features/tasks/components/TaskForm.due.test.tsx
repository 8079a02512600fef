// The editor's due date, in the profile's zone (Kolkata) while the browser runs in Los Angeles.
declare const process: { env: Record<string, string | undefined> };
process.env.TZ = "America/Los_Angeles";

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Task, User } from "../../../api/problem";
import { AuthContext, type AuthApi } from "../../../auth/auth-context";
import { json } from "../../../test/render";
import { TaskForm } from "./TaskForm";

afterEach(() => vi.unstubAllGlobals());

function renderForm(task: Partial<Task>) {
  vi.stubGlobal("fetch", vi.fn(() => Promise.resolve(json({ members: [], invitations: [] }))));
  const onSubmit = vi.fn();
  const full = { id: "t1", title: "Pay rent", description: null, status: "todo", priority: "medium", due_at: null, due_date: null, tags: [], project_id: "g1", assignee_id: null, ...task } as unknown as Task;
  const user = { timezone: "Asia/Kolkata", preferences: {} } as unknown as User;
  render(
    <QueryClientProvider client={new QueryClient()}>
      <AuthContext.Provider value={{ status: "authenticated", user } as AuthApi}>
        <TaskForm task={full} onSubmit={onSubmit} onCancel={vi.fn()} />
      </AuthContext.Provider>
    </QueryClientProvider>,
  );
  return onSubmit;
}

const save = () => userEvent.click(screen.getByRole("button", { name: "Save changes" }));

describe("the editor takes a day without a time", () => {
  it("shows a date-only task as its day, with no time (no 12:00 AM)", async () => {
    const onSubmit = renderForm({ due_date: "2026-12-04" });
    expect(screen.getByLabelText("Due")).toHaveValue("2026-12-04");
    expect(screen.getByLabelText("Due time")).toHaveValue("");
    expect(screen.getByText("All day (no time)")).toBeInTheDocument();
    await save();
    expect(onSubmit).toHaveBeenLastCalledWith(expect.objectContaining({ due_date: "2026-12-04", due_at: null }));
  });

  it("adds a time in the profile's zone, and removes it again", async () => {
    const onSubmit = renderForm({ due_date: "2026-12-04" });
    fireEvent.change(screen.getByLabelText("Due time"), { target: { value: "09:30" } });
    expect(screen.getByText("Time in Asia/Kolkata")).toBeInTheDocument();
    await save();
    // 09:30 in Kolkata, not in Los Angeles where the browser runs.
    expect(onSubmit).toHaveBeenLastCalledWith(expect.objectContaining({ due_at: "2026-12-04T04:00:00.000Z", due_date: null }));
    await userEvent.click(screen.getByRole("button", { name: "Remove the time" }));
    expect(screen.getByLabelText("Due time")).toHaveValue("");
    await save();
    expect(onSubmit).toHaveBeenLastCalledWith(expect.objectContaining({ due_date: "2026-12-04", due_at: null }));
  });

  it("shows a timed task's day and time in the profile's zone; clearing the day clears both", async () => {
    const onSubmit = renderForm({ due_at: "2026-12-03T19:00:00Z" }); // 00:30 on the 4th in Kolkata
    expect(screen.getByLabelText("Due")).toHaveValue("2026-12-04");
    expect(screen.getByLabelText("Due time")).toHaveValue("00:30");
    fireEvent.change(screen.getByLabelText("Due"), { target: { value: "" } });
    expect(screen.getByLabelText("Due time")).toBeDisabled();
    await save();
    expect(onSubmit).toHaveBeenLastCalledWith(expect.objectContaining({ due_date: null, due_at: null }));
  });

  it("picks a day alone for a task without a due date", async () => {
    const onSubmit = renderForm({});
    fireEvent.change(screen.getByLabelText("Due"), { target: { value: "2026-12-25" } });
    await save();
    expect(onSubmit).toHaveBeenLastCalledWith(expect.objectContaining({ due_date: "2026-12-25", due_at: null }));
  });
});
