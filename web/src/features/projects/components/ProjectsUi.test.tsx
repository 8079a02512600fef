import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Task } from "../../../api/problem";
import { json } from "../../../test/render";
import { makeTask, renderScreen } from "../../../test/app-harness";
import { taskKeys } from "../../tasks/api/task-cache";
import { TaskRow } from "../../tasks/components/TaskRow";
import { TASK_DRAG_TYPE } from "../../tasks/drag";
import type { Project } from "../api/project-keys";
import { ProjectSettingsDialog } from "./ProjectSettingsDialog";
import { ProjectsNav } from "./ProjectsNav";

afterEach(() => vi.unstubAllGlobals());

function project(id: string, name: string, overrides: Partial<Project> = {}): Project {
  return {
    id, name, colour: "#3b82f6", parent_id: null, is_inbox: false, role: "owner", position: 1, archived_at: null,
    open_tasks: 0, version: 1, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z", ...overrides,
  };
}

/** A DataTransfer stand-in (jsdom has none). */
function dataTransfer() {
  const data = new Map<string, string>();
  return {
    setData: (type: string, value: string) => data.set(type, value),
    getData: (type: string) => data.get(type) ?? "",
    get types() {
      return [...data.keys()];
    },
    dropEffect: "none",
    effectAllowed: "all",
  };
}

describe("dragging a task onto a project", () => {
  it("moves it there", async () => {
    const task = makeTask("t1", { title: "Plant the tulips", project_id: "inbox" });
    const { sent, client } = renderScreen(
      <>
        <ProjectsNav />
        <ul aria-label="Tasks">
          <TaskRow task={task} />
        </ul>
      </>,
      async (request) => {
        const url = new URL(request.url);
        if (request.method === "PATCH") return json({ ...task, ...((await request.json()) as Partial<Task>), version: 2 });
        if (url.pathname === "/api/v1/projects") return json({ items: [project("inbox", "Inbox", { is_inbox: true, position: 0 }), project("g1", "Garden")] });
        return json({ items: [], next_cursor: null });
      },
    );
    client.setQueryData(taskKeys.list({ sort: "-created_at", limit: 30 }), { pages: [{ items: [task], next_cursor: null }], pageParams: [null] });
    const garden = (await screen.findByRole("link", { name: "Garden" }, { timeout: 10_000 })).closest("li") as HTMLElement;
    const transfer = dataTransfer();
    const row = document.querySelector("[data-task-row]");
    expect(row).toHaveAttribute("draggable", "true");
    fireEvent.dragStart(row as HTMLElement, { dataTransfer: transfer });
    expect(transfer.getData(TASK_DRAG_TYPE)).toBe("t1");
    fireEvent.dragOver(garden, { dataTransfer: transfer });
    fireEvent.drop(garden, { dataTransfer: transfer });
    await waitFor(() => expect(sent.some((r) => r.method === "PATCH")).toBe(true));
    expect(await sent.find((r) => r.method === "PATCH")?.json()).toEqual({ project_id: "g1" });
    expect(await screen.findByText("Moved “Plant the tulips” to Garden")).toBeInTheDocument();
  }, 20_000);
});

describe("archived projects", () => {
  it("are listed from the sidebar, restored, or deleted after a second click", async () => {
    let archived = [project("a1", "Old garden", { archived_at: "2026-01-02T00:00:00Z" }), project("a2", "Move house", { archived_at: "2026-01-02T00:00:00Z" })];
    const { sent } = renderScreen(<ProjectsNav />, (request) => {
      const url = new URL(request.url);
      if (request.method === "PATCH") {
        const id = url.pathname.split("/").pop();
        const found = archived.find((p) => p.id === id) as Project;
        archived = archived.filter((p) => p.id !== id);
        return json({ ...found, archived_at: null, version: 2 });
      }
      if (request.method === "DELETE") {
        archived = archived.filter((p) => !url.pathname.endsWith(p.id));
        return new Response(null, { status: 204 });
      }
      if (url.searchParams.get("archived") === "true") return json({ items: archived });
      return json({ items: [project("inbox", "Inbox", { is_inbox: true })] });
    });
    await userEvent.click(screen.getByRole("button", { name: "Archived projects" }));
    const dialog = screen.getByRole("dialog", { name: "Archived projects" });
    const list = await within(dialog).findByRole("list", { name: "Archived projects" }, { timeout: 10_000 });
    expect(within(list).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      expect.stringContaining("Old garden"),
      expect.stringContaining("Move house"),
    ]);
    await userEvent.click(within(dialog).getByRole("button", { name: "Restore Old garden" }));
    expect(await screen.findByText("“Old garden” restored")).toBeInTheDocument();
    await userEvent.click(within(dialog).getByRole("button", { name: "Delete Move house" }));
    await userEvent.click(within(dialog).getByRole("button", { name: "Delete Move house and its tasks for good" }));
    expect(await screen.findByText("Project deleted")).toBeInTheDocument();
    await waitFor(() => expect(within(dialog).getByText("No archived projects. Archive one from its settings.")).toBeInTheDocument());
    const writes = await Promise.all(
      sent.filter((r) => r.method !== "GET").map(async (r) => `${r.method} ${new URL(r.url).pathname} ${r.method === "PATCH" ? await r.text() : ""}`),
    );
    expect(writes).toEqual(['PATCH /api/v1/projects/a1 {"archived":false}', "DELETE /api/v1/projects/a2 "]);
  }, 20_000);
});

describe("the share dialog", () => {
  it("changes a member's role and withdraws an invitation", async () => {
    const GARDEN = project("g1", "Garden");
    let invitations = [{ id: "i1", email: "kim@example.com", role: "viewer", created_at: "2026-01-01T00:00:00Z" }];
    const { sent } = renderScreen(<ProjectSettingsDialog project={GARDEN} open onClose={vi.fn()} onArchived={vi.fn()} />, (request) => {
      if (request.method === "GET")
        return json({
          members: [
            { user_id: "me", name: "Erin Example", email: "erin@example.com", role: "owner", joined_at: "2026-01-01T00:00:00Z" },
            { user_id: "u2", name: "Sam Sample", email: "sam@example.com", role: "editor", joined_at: "2026-01-01T00:00:00Z" },
          ],
          invitations,
        });
      if (request.method === "PATCH") return json({ user_id: "u2", name: "Sam Sample", email: "sam@example.com", role: "viewer", joined_at: "2026-01-01T00:00:00Z" });
      invitations = [];
      return new Response(null, { status: 204 });
    });
    const dialog = screen.getByRole("dialog", { name: "Garden settings" });
    // Not one's own role: the last owner cannot demote themself by accident.
    expect(await within(dialog).findByLabelText("Role of Sam Sample", {}, { timeout: 10_000 })).toHaveValue("editor");
    expect(within(dialog).queryByLabelText("Role of Erin Example")).toBeNull();
    await userEvent.selectOptions(within(dialog).getByLabelText("Role of Sam Sample"), "Viewer");
    expect(await screen.findByText("Role changed to Viewer")).toBeInTheDocument();
    await userEvent.click(within(dialog).getByRole("button", { name: "Withdraw the invitation to kim@example.com" }));
    expect(await screen.findByText("Invitation withdrawn")).toBeInTheDocument();
    await waitFor(() => expect(within(dialog).queryByText("kim@example.com")).toBeNull());
    const writes = await Promise.all(
      sent.filter((r) => r.method !== "GET").map(async (r) => `${r.method} ${new URL(r.url).pathname} ${await r.text()}`),
    );
    expect(writes).toEqual(['PATCH /api/v1/projects/g1/members/u2 {"role":"viewer"}', "DELETE /api/v1/projects/g1/invitations/i1 "]);
  }, 20_000);
});

describe("rows", () => {
  it("show who a task is assigned to", async () => {
    const tasks = [makeTask("a", { title: "Paint the fence", project_id: "g1", assignee_id: "u2" }), makeTask("b", { title: "Mine", assignee_id: "me" }), makeTask("c", { title: "Nobody's" })];
    renderScreen(
      <ul aria-label="Tasks">
        {tasks.map((t) => (
          <TaskRow key={t.id} task={t} />
        ))}
      </ul>,
      () => json({ members: [{ user_id: "u2", name: "Sam Sample", email: "sam@example.com", role: "editor", joined_at: "" }], invitations: [] }),
    );
    const rows = document.querySelectorAll<HTMLElement>("[data-task-row]");
    expect(await within(rows[0] as HTMLElement).findByText("Sam", {}, { timeout: 10_000 })).toBeInTheDocument();
    expect(rows[0]).toHaveTextContent("Assigned to Sam");
    expect(rows[1]).toHaveTextContent("Assigned to You");
    expect(rows[2]).not.toHaveTextContent("Assigned to");
  }, 20_000);
});
