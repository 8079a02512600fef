import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Route, Routes } from "react-router";
import type { Task } from "../api/problem";
import { AuthContext, type AuthApi } from "../auth/auth-context";
import { json } from "../test/render";
import { makeTask, renderScreen, testUser } from "../test/app-harness";
import AppShell from "./AppShell";
import NotFoundPage from "./NotFoundPage";
import TasksPage from "./TasksPage";

afterEach(() => vi.unstubAllGlobals());

function shell(tasks: Task[], route = "/tasks") {
  const auth = { status: "authenticated", user: testUser, logout: vi.fn() } as unknown as AuthApi;
  return renderScreen(
    <AuthContext.Provider value={auth}>
      <Routes>
        <Route element={<AppShell />}>
          <Route path="tasks" element={<TasksPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </AuthContext.Provider>,
    async (request) => {
      const url = new URL(request.url);
      if (request.method === "PATCH") {
        const id = url.pathname.split("/").pop() ?? "";
        const body = (await request.json()) as Partial<Task>;
        const task = tasks.find((t) => t.id === id);
        return json({ ...task, ...body, version: (task?.version ?? 1) + 1 });
      }
      if (url.pathname === "/api/v1/tasks") return json({ items: tasks, next_cursor: null });
      if (url.pathname === "/api/v1/projects") return json({ items: [] });
      if (url.pathname.includes("notifications")) return json({ items: [], unread: 0, count: 0, next_cursor: null });
      return json({});
    },
    { route },
  );
}

const url = () => screen.getByTestId("location").textContent;

describe("keyboard shortcuts", () => {
  it("go to a screen with g and a letter", async () => {
    const user = userEvent.setup();
    shell([]);
    await user.keyboard("gt");
    expect(url()).toBe("/today");
    await user.keyboard("ga");
    expect(url()).toBe("/tasks");
    await user.keyboard("gb");
    expect(url()).toBe("/board");
    // "b" alone does nothing.
    await user.keyboard("gd");
    await user.keyboard("b");
    expect(url()).toBe("/");
  });

  it("focus tasks with j and k, complete the focused one with x, and edit it with e", async () => {
    const user = userEvent.setup();
    const { sent } = shell([makeTask("a", { title: "Pay the bill" }), makeTask("b", { title: "Water the plants" })]);
    await screen.findByText("Water the plants", {}, { timeout: 5000 });
    await user.keyboard("j");
    expect(screen.getByRole("button", { name: "Pay the bill" })).toHaveFocus();
    await user.keyboard("j");
    expect(screen.getByRole("button", { name: "Water the plants" })).toHaveFocus();
    await user.keyboard("k");
    expect(screen.getByRole("button", { name: "Pay the bill" })).toHaveFocus();
    await user.keyboard("x");
    await waitFor(() => expect(sent.some((r) => r.method === "PATCH" && r.url.endsWith("/api/v1/tasks/a"))).toBe(true));
    expect(await sent.find((r) => r.method === "PATCH")?.json()).toEqual({ status: "done" });
    await user.keyboard("j");
    await user.keyboard("e");
    const dialog = await screen.findByRole("dialog", { name: "Edit task" });
    expect(within(dialog).getByLabelText("Title")).toHaveValue("Water the plants");
    expect(within(dialog).getByLabelText("Title")).toHaveFocus();
    await user.keyboard("{Escape}");
    expect(screen.getByRole("button", { name: "Water the plants" })).toHaveFocus();
  }, 30_000);

  it("are all listed in the shortcuts dialog", async () => {
    const user = userEvent.setup();
    shell([]);
    await user.keyboard("?");
    const help = screen.getByRole("dialog", { name: "Keyboard shortcuts" });
    for (const [key, what] of [
      ["g d", "Go to Dashboard"],
      ["g t", "Go to Today"],
      ["g a", "Go to All tasks"],
      ["j k", "Focus the next or previous task"],
      ["x", "Complete the focused task (or reopen it)"],
      ["e", "Edit the focused task"],
    ]) {
      expect(within(help).getByText(key as string).closest("div")).toHaveTextContent(`${key}${what}`);
    }
  });
});

describe("landmarks", () => {
  it("a page has one <main>, the 404 page too", async () => {
    const { container } = shell([], "/no/such/page");
    await screen.findByRole("heading", { name: "This page does not exist" });
    expect(container.querySelectorAll("main")).toHaveLength(1);
  });
});
