import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { User } from "../../../api/problem";
import { AuthContext, type AuthApi } from "../../../auth/auth-context";
import { ToastProvider } from "../../../components/Toasts";
import { addDays, dayOf } from "../../../lib/dates";
import { json } from "../../../test/render";
import { QuickAdd } from "./QuickAdd";

/** Signed in as someone who lives in Kolkata; records the bodies of POST /api/v1/tasks. */
function renderQuickAdd(route = "/", defaultDay?: string) {
  const sent: unknown[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      const request = input as Request;
      const body: unknown = await request.json();
      sent.push(body);
      return json({ id: "t1", version: 1, status: "todo", tags: [], ...(body as object) }, 201);
    }),
  );
  const auth = { status: "authenticated", user: { timezone: "Asia/Kolkata", preferences: {} } as User } as AuthApi;
  render(
    <QueryClientProvider client={new QueryClient()}>
      <ToastProvider>
        <AuthContext.Provider value={auth}>
          <MemoryRouter initialEntries={[route]}>
            {defaultDay ? <QuickAdd defaultDay={defaultDay} label="Add a task for today" /> : <QuickAdd />}
          </MemoryRouter>
        </AuthContext.Provider>
      </ToastProvider>
    </QueryClientProvider>,
  );
  return sent;
}

afterEach(() => vi.unstubAllGlobals());

describe("QuickAdd", () => {
  it("highlights what it understood and sends it as fields", async () => {
    const sent = renderQuickAdd();
    const line = screen.getByLabelText("Quick add a task");
    await userEvent.type(line, "Fix the leak !urgent #home");
    expect(screen.getByRole("list", { name: "Understood" })).toHaveTextContent("Priority: Urgent");
    expect(screen.getByRole("list", { name: "Understood" })).toHaveTextContent("Tag: home");
    expect([...document.querySelectorAll("mark")].map((m) => m.textContent)).toEqual(["!urgent", "#home"]);
    await userEvent.click(screen.getByRole("button", { name: "Add" }));
    await waitFor(() => expect(sent).toEqual([{ title: "Fix the leak", priority: "urgent", tags: ["home"] }]));
    await waitFor(() => expect(line).toHaveValue(""));
  });

  it("highlights a recurrence and sends its rule with the first due", async () => {
    const sent = renderQuickAdd();
    const line = screen.getByLabelText("Quick add a task");
    await userEvent.type(line, "Water plants every weekday");
    expect(screen.getByRole("list", { name: "Understood" })).toHaveTextContent("Repeats: Every weekday");
    expect([...document.querySelectorAll("mark")].map((m) => m.textContent)).toEqual(["every weekday"]);
    await userEvent.click(screen.getByRole("button", { name: "Add" }));
    await waitFor(() => expect(sent).toHaveLength(1));
    const body = sent[0] as { title: string; recurrence: string; due_at?: string; due_date: string };
    expect(body.title).toBe("Water plants");
    expect(body.recurrence).toBe("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR");
    // No time named: a date-only series, from its first day.
    expect(body.due_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(body.due_at).toBeUndefined();
  });

  it("makes a day without a time a date-only task: no time shown or sent", async () => {
    const sent = renderQuickAdd();
    const line = screen.getByLabelText("Quick add a task");
    await userEvent.type(line, "Submit report due tomorrow");
    const understood = screen.getByRole("list", { name: "Understood" });
    expect(understood).toHaveTextContent("Due: Tomorrow");
    expect(understood).not.toHaveTextContent(/\d:\d\d|AM|PM|end of day/);
    await userEvent.click(screen.getByRole("button", { name: "Add" }));
    // Tomorrow in Kolkata, the profile's zone, whatever zone the browser runs in.
    const tomorrow = addDays(dayOf(new Date(), "Asia/Kolkata"), 1);
    await waitFor(() => expect(sent).toEqual([{ title: "Submit report", due_date: tomorrow }]));
  });

  it("gives a line without a day the view's day, without a time", async () => {
    const sent = renderQuickAdd("/", "2026-12-04");
    await userEvent.type(screen.getByLabelText("Add a task for today"), "Water plants{Enter}");
    await waitFor(() => expect(sent).toEqual([{ title: "Water plants", due_date: "2026-12-04" }]));
  });

  it("puts the task into the project being viewed", async () => {
    const sent = renderQuickAdd("/tasks?project=p1");
    await userEvent.type(screen.getByLabelText("Quick add a task"), "Paint the fence{Enter}");
    await waitFor(() => expect(sent).toEqual([{ title: "Paint the fence", project_id: "p1" }]));
  });

  it("keeps a part as words with its × or with Esc", async () => {
    const sent = renderQuickAdd();
    const line = screen.getByLabelText("Quick add a task");
    await userEvent.type(line, "Learn C# !high #1");
    await userEvent.click(screen.getByRole("button", { name: "Keep “!high” as words" }));
    expect(line).toHaveFocus();
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("list", { name: "Understood" })).not.toBeInTheDocument();
    await userEvent.keyboard("{Enter}");
    await waitFor(() => expect(sent).toEqual([{ title: "Learn C# !high #1" }]));
  });

  it("says so when the title is too long, and sends nothing", async () => {
    const sent = renderQuickAdd();
    const line = screen.getByLabelText("Quick add a task");
    fireEvent.change(line, { target: { value: `${"x".repeat(201)} #home` } });
    expect(screen.getByText("Use at most 200 characters.")).toBeInTheDocument();
    expect(line).toHaveValue(`${"x".repeat(201)} #home`);
    expect(line).toHaveAttribute("aria-invalid", "true");
    await userEvent.click(screen.getByRole("button", { name: "Add" }));
    expect(sent).toEqual([]);
  });
});
