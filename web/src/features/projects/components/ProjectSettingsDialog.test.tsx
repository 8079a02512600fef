import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, expect, it, vi } from "vitest";
import type { User } from "../../../api/problem";
import { AuthContext, type AuthApi } from "../../../auth/auth-context";
import { ToastProvider } from "../../../components/Toasts";
import { json } from "../../../test/render";
import type { Project } from "../api/project-keys";
import { ProjectSettingsDialog } from "./ProjectSettingsDialog";

const GARDEN = {
  id: "g1", name: "Garden", colour: "#16a34a", role: "owner", is_inbox: false, version: 1, position: 1,
  open_tasks: 0, parent_id: null, archived_at: null,
} as Project;

afterEach(() => vi.unstubAllGlobals());

it("renames, shares by email with a role, lists and removes members, and archives", async () => {
  const sent: string[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (request: Request) => {
      const body = request.method === "GET" ? "" : await request.text();
      sent.push(`${request.method} ${new URL(request.url).pathname} ${body}`);
      if (request.url.endsWith("/members") && request.method === "GET")
        return json({
          members: [
            { user_id: "u1", name: "Erin Example", email: "erin@example.com", role: "owner", joined_at: "2026-01-01T00:00:00Z" },
            { user_id: "u2", name: "Sam Sample", email: "sam@example.com", role: "editor", joined_at: "2026-01-01T00:00:00Z" },
          ],
          invitations: [],
        });
      if (request.method === "DELETE") return new Response(null, { status: 204 });
      if (request.url.endsWith("/members")) return json({ id: "i1", email: "sam@example.com", role: "viewer", created_at: "2026-01-01T00:00:00Z" }, 202);
      const patch = JSON.parse(body) as { archived?: boolean };
      return json({ ...GARDEN, ...patch, archived_at: patch.archived ? "2026-01-02T00:00:00Z" : null, version: 2 });
    }),
  );
  const onArchived = vi.fn();
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <ToastProvider>
        <AuthContext.Provider value={{ status: "authenticated", user: { id: "u1" } as User } as AuthApi}>
          <ProjectSettingsDialog project={GARDEN} open onClose={vi.fn()} onArchived={onArchived} />
        </AuthContext.Provider>
      </ToastProvider>
    </QueryClientProvider>,
  );
  const dialog = screen.getByRole("dialog", { name: "Garden settings" });
  expect(await within(dialog).findByRole("list", { name: "Members" })).toHaveTextContent("Erin Example erin@example.comOwnerLeave");

  await userEvent.clear(within(dialog).getByLabelText("Name"));
  await userEvent.type(within(dialog).getByLabelText("Name"), "Allotment");
  await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));
  expect(await screen.findByText("Project saved")).toBeInTheDocument();

  await userEvent.type(within(dialog).getByLabelText("Email"), "sam@example.com");
  await userEvent.selectOptions(within(dialog).getByLabelText("Role"), "viewer");
  await userEvent.click(within(dialog).getByRole("button", { name: "Share" }));
  expect(await screen.findByText("Invitation sent to sam@example.com")).toBeInTheDocument();

  await userEvent.click(within(dialog).getByRole("button", { name: "Remove Sam Sample" }));
  expect(await screen.findByText("Member removed")).toBeInTheDocument();

  await userEvent.click(within(dialog).getByRole("button", { name: "Archive project" }));
  await waitFor(() => expect(onArchived).toHaveBeenCalled());
  expect(sent.filter((s) => !s.startsWith("GET"))).toEqual([
    'PATCH /api/v1/projects/g1 {"name":"Allotment","colour":"#16a34a"}',
    'POST /api/v1/projects/g1/members {"email":"sam@example.com","role":"viewer"}',
    "DELETE /api/v1/projects/g1/members/u2 ",
    'PATCH /api/v1/projects/g1 {"archived":true}',
  ]);
});
