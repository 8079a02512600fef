import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, expect, it, vi } from "vitest";
import type { Task, User } from "../../../api/problem";
import { AuthContext, type AuthApi } from "../../../auth/auth-context";
import { json } from "../../../test/render";
import { TaskForm } from "./TaskForm";

afterEach(() => vi.unstubAllGlobals());

/** The editor of a task due on Monday 7 December 2026 at 09:00 in Berlin; the previews asked. */
function renderForm(task: Partial<Task> = {}) {
  const asked: URLSearchParams[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn((request: Request) => {
      const url = new URL(request.url);
      if (url.pathname === "/api/v1/recurrence/preview") {
        asked.push(url.searchParams);
        if (url.searchParams.get("rule")?.includes("BYDAY=XX")) {
          return Promise.resolve(
            json(
              { type: "urn:tasklane:problem:validation-error", title: "Invalid input", status: 422, detail: "BYDAY takes days", errors: [{ field: "rule", message: "BYDAY takes days" }] },
              422,
            ),
          );
        }
        return Promise.resolve(
          json({
            rule: url.searchParams.get("rule"),
            timezone: "Europe/Berlin",
            occurrences: [
              { due_at: "2026-12-07T08:00:00Z", due_date: null },
              { due_at: "2026-12-08T08:00:00Z", due_date: null },
            ],
          }),
        );
      }
      return Promise.resolve(json({ members: [], invitations: [] }));
    }),
  );
  const onSubmit = vi.fn();
  const full = { id: "t1", title: "Standup", description: null, status: "todo", priority: "medium", due_at: "2026-12-07T08:00:00Z", tags: [], project_id: "g1", assignee_id: null, recurrence: null, ...task } as unknown as Task;
  render(
    <QueryClientProvider client={new QueryClient()}>
      <AuthContext.Provider value={{ status: "authenticated", user: { timezone: "Europe/Berlin", preferences: {} } as User } as AuthApi}>
        <TaskForm task={full} onSubmit={onSubmit} onCancel={vi.fn()} />
      </AuthContext.Provider>
    </QueryClientProvider>,
  );
  return { onSubmit, asked };
}

it("repeats a task by a preset, and previews it from the server", async () => {
  const { onSubmit, asked } = renderForm();
  await userEvent.selectOptions(screen.getByLabelText("Repeat"), "Every weekday (Mon–Fri)");
  expect(await screen.findByText(/Every weekday · Next: /)).toBeInTheDocument();
  expect(asked.at(-1)?.get("rule")).toBe("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR");
  expect(asked.at(-1)?.get("start")).toBe("2026-12-07T09:00");
  expect(asked.at(-1)?.get("tz")).toBe("Europe/Berlin");
  await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
  expect(onSubmit).toHaveBeenLastCalledWith(expect.objectContaining({ recurrence: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR" }));
});

it("builds a custom rule: every 2 weeks on chosen days, ending after some times", async () => {
  const { onSubmit } = renderForm();
  await userEvent.selectOptions(screen.getByLabelText("Repeat"), "Custom…");
  // A custom rule starts weekly on the due's weekday (a Monday).
  expect(screen.getByRole("button", { name: "Mon" })).toHaveAttribute("aria-pressed", "true");
  fireEvent.change(screen.getByLabelText("Every"), { target: { value: "2" } });
  await userEvent.click(screen.getByRole("button", { name: "Thu" }));
  await userEvent.selectOptions(screen.getByLabelText("Ends"), "After a number of times");
  fireEvent.change(screen.getByLabelText("Times"), { target: { value: "6" } });
  await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
  expect(onSubmit).toHaveBeenLastCalledWith(expect.objectContaining({ recurrence: "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=6" }));
});

it("repeats monthly on the due's day or its nth weekday", async () => {
  const { onSubmit } = renderForm();
  await userEvent.selectOptions(screen.getByLabelText("Repeat"), "Custom…");
  await userEvent.selectOptions(screen.getByLabelText("Unit"), "months");
  await userEvent.click(screen.getByLabelText("On the first Mon"));
  await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
  expect(onSubmit).toHaveBeenLastCalledWith(expect.objectContaining({ recurrence: "FREQ=MONTHLY;BYDAY=1MO" }));
  await userEvent.click(screen.getByLabelText("On day 7"));
  await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
  expect(onSubmit).toHaveBeenLastCalledWith(expect.objectContaining({ recurrence: "FREQ=MONTHLY;BYMONTHDAY=7" }));
});

it("shows a task's rule, and stops it repeating", async () => {
  const { onSubmit } = renderForm({ recurrence: "FREQ=MONTHLY;BYDAY=-1FR" });
  expect(screen.getByLabelText("Repeat")).toHaveValue("custom");
  expect(await screen.findByText(/Every month on the last Friday/)).toBeInTheDocument();
  await userEvent.selectOptions(screen.getByLabelText("Repeat"), "Does not repeat");
  await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
  expect(onSubmit).toHaveBeenLastCalledWith(expect.objectContaining({ recurrence: null }));
});

it("says what the server found wrong with a rule, and that a repeating task needs a due date", async () => {
  renderForm({ recurrence: "FREQ=WEEKLY;BYDAY=XX" });
  await waitFor(() => expect(screen.getByText("BYDAY takes days")).toBeInTheDocument());
  fireEvent.change(screen.getByLabelText("Due"), { target: { value: "" } });
  await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
  expect(screen.getAllByText("A repeating task needs a due date: set one above.").length).toBeGreaterThan(0);
});
