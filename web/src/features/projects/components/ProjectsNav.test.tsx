import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ToastProvider } from "../../../components/Toasts";
import { json, LocationProbe } from "../../../test/render";
import type { Project } from "../api/project-keys";
import { ProjectsNav } from "./ProjectsNav";

function project(id: string, name: string, overrides: Partial<Project> = {}): Project {
  return {
    id,
    name,
    colour: "#3b82f6",
    parent_id: null,
    is_inbox: false,
    role: "owner",
    position: 1,
    archived_at: null,
    open_tasks: 0,
    version: 1,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    ...overrides,
  };
}

/** The API holds `projects`; a POST adds one. Records the bodies it was sent. */
function renderNav(projects: Project[], route = "/") {
  const sent: unknown[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (request: Request) => {
      if (request.method === "POST") {
        const body = (await request.json()) as { name: string; colour: string };
        sent.push(body);
        const made = project("p-new", body.name, { colour: body.colour, position: 9 });
        projects = [...projects, made];
        return json(made, 201);
      }
      return json({ items: projects });
    }),
  );
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={[route]}>
        <ToastProvider>
          <ProjectsNav />
          <LocationProbe />
        </ToastProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return sent;
}

afterEach(() => vi.unstubAllGlobals());

describe("ProjectsNav", () => {
  it("lists the Inbox first, each project with its open count, as links to its tasks", async () => {
    renderNav(
      [
        project("p2", "Home", { position: 2, open_tasks: 1 }),
        project("p1", "Inbox", { is_inbox: true, position: 5, open_tasks: 3 }),
      ],
      "/tasks?project=p2",
    );
    const nav = await screen.findByRole("navigation", { name: "Projects" });
    await within(nav).findByRole("link", { name: "Home" });
    const links = within(nav).getAllByRole("link");
    expect(links.map((l) => l.textContent)).toEqual(["Assigned to me", "Inbox3", "Home1"]);
    expect(within(nav).getByRole("link", { name: "Assigned to me" })).toHaveAttribute("href", "/tasks?assignee=me");
    expect(within(nav).getByRole("link", { name: "Home" })).toHaveAttribute("href", "/tasks?project=p2");
    expect(within(nav).getByRole("link", { name: "Home" })).toHaveAccessibleDescription("1 open task");
    expect(within(nav).getByRole("link", { name: "Home" })).toHaveAttribute("aria-current", "page");
    expect(within(nav).getByRole("link", { name: "Inbox" })).not.toHaveAttribute("aria-current");
  });

  it("creates a project with a name and colour, then shows it", async () => {
    const sent = renderNav([project("p1", "Inbox", { is_inbox: true })]);
    await screen.findByRole("link", { name: "Inbox" });
    await userEvent.click(screen.getByRole("button", { name: "New project" }));
    const dialog = screen.getByRole("dialog", { name: "New project" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Create project" }));
    expect(within(dialog).getByText("Give the project a name.")).toBeInTheDocument();
    expect(sent).toEqual([]);
    await userEvent.type(within(dialog).getByLabelText("Name"), "Garden");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create project" }));
    await waitFor(() => expect(sent).toEqual([{ name: "Garden", colour: "#3b82f6" }]));
    expect(await screen.findByRole("link", { name: "Garden" })).toBeInTheDocument();
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(screen.getByTestId("location")).toHaveTextContent("/tasks?project=p-new");
  });
});
