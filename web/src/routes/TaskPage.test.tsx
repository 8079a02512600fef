import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Comment, HistoryEntry } from "../features/comments/api/comment-cache";
import { json } from "../test/render";
import { makeTask, renderScreen, testUser } from "../test/app-harness";
import TaskPage from "./TaskPage";

afterEach(() => vi.unstubAllGlobals());

const TASK = makeTask("t1", { title: "Plan the trip", description: "Ideas: https://example.com/trips", project_id: "p1", comment_count: 2 });

function comment(id: string, author: string, body: string): Comment {
  return {
    id,
    task_id: "t1",
    author_id: author,
    author_name: author === testUser.id ? "Erin Example" : "Ana",
    body,
    created_at: "2026-01-02T10:00:00Z",
    edited_at: null,
  };
}

const HISTORY: HistoryEntry[] = [
  {
    id: "h1",
    user_id: "ana",
    user_name: "Ana",
    field: "status",
    old_value: "todo",
    new_value: "in_progress",
    created_at: "2026-01-02T09:00:00Z",
  },
  {
    id: "h2",
    user_id: "ana",
    user_name: "Ana",
    field: "assignee_id",
    old_value: null,
    new_value: "me",
    created_at: "2026-01-02T08:00:00Z",
  },
];

function page({ role = "editor", comments = [comment("c1", "ana", "<img src=x onerror=alert(1)> see https://example.com/x"), comment("c2", "me", "Booked")] } = {}) {
  const posted: unknown[] = [];
  const rendered = renderScreen(
    <Routes>
      <Route path="/tasks/:id" element={<TaskPage />} />
    </Routes>,
    async (request) => {
      const url = new URL(request.url);
      if (url.pathname === "/api/v1/tasks/t1") return json(TASK);
      if (url.pathname === "/api/v1/tasks/t1/comments" && request.method === "POST") {
        const body = (await request.json()) as { body: string };
        posted.push(body);
        return json(comment("c3", "me", body.body), 201);
      }
      if (url.pathname === "/api/v1/tasks/t1/comments") return json({ items: comments, next_cursor: null });
      if (url.pathname === "/api/v1/tasks/t1/history") return json({ items: HISTORY, next_cursor: null });
      if (url.pathname === "/api/v1/tasks/t1/subtasks") return json({ items: [] });
      if (url.pathname === "/api/v1/projects") return json({ items: [{ id: "p1", name: "Holidays", role, is_inbox: false, position: 1 }] });
      if (url.pathname === "/api/v1/projects/p1/members")
        return json({ members: [{ user_id: "me", name: "Erin Example" }, { user_id: "ana", name: "Ana" }], invitations: [] });
      if (url.pathname.endsWith("/comments/c2") && request.method === "DELETE") return new Response(null, { status: 204 });
      return json({ type: "x", title: "Not found", status: 404, detail: "No such thing." }, 404);
    },
    { route: "/tasks/t1" },
  );
  return { ...rendered, posted };
}

describe("the task page", () => {
  it("shows the description, the comments as text with links, and the history in words", async () => {
    page();
    expect(await screen.findByRole("heading", { name: "Plan the trip" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "https://example.com/trips" })).toHaveAttribute("href", "https://example.com/trips");
    const comments = await screen.findByRole("list", { name: "Comments" });
    // The markup someone typed stays text: no image element, no handler.
    expect(within(comments).getByText(/<img src=x onerror=alert\(1\)>/)).toBeInTheDocument();
    expect(comments.querySelector("img")).toBeNull();
    const link = within(comments).getByRole("link", { name: "https://example.com/x" });
    expect(link).toHaveAttribute("rel", "noopener noreferrer nofollow");
    const changes = await screen.findByRole("list", { name: "Changes" });
    expect(within(changes).getByText("Ana changed the status from To do to In progress")).toBeInTheDocument();
    expect(await within(changes).findByText("Ana assigned it to Erin Example")).toBeInTheDocument();
  });

  it("offers edit and delete on one's own comments only, and adds a comment", async () => {
    const user = userEvent.setup();
    const { posted } = page();
    const comments = await screen.findByRole("list", { name: "Comments" });
    const [theirs, mine] = within(comments).getAllByRole("listitem");
    await waitFor(() => expect(within(mine as HTMLElement).getByRole("button", { name: "Edit your comment" })).toBeInTheDocument());
    expect(within(theirs as HTMLElement).queryByRole("button", { name: /your comment/ })).toBeNull();

    await user.type(screen.getByLabelText("Add a comment"), "See you there");
    await user.click(screen.getByRole("button", { name: "Comment" }));
    expect(await within(comments).findByText("See you there")).toBeInTheDocument();
    expect(posted).toEqual([{ body: "See you there" }]);
    expect(screen.getByLabelText("Add a comment")).toHaveValue("");

    await user.click(within(mine as HTMLElement).getByRole("button", { name: "Delete your comment" }));
    await waitFor(() => expect(within(comments).queryByText("Booked")).toBeNull());
  });

  it("lets a viewer read but not comment", async () => {
    page({ role: "viewer" });
    await screen.findByRole("list", { name: "Comments" });
    await screen.findByText(/its editors and owners add them/);
    expect(screen.queryByLabelText("Add a comment")).toBeNull();
    expect(screen.queryByRole("button", { name: "Edit your comment" })).toBeNull();
  });
});
