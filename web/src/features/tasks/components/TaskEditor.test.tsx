import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Task } from "../../../api/problem";
import { useAuth } from "../../../auth/auth-context";
import { resetSessionForTests } from "../../../auth/session";
import { makeTask, renderScreen, testUser } from "../../../test/app-harness";
import { json, renderWithApp } from "../../../test/render";
import { loadDraft, saveDraft } from "../draft";
import { useTaskDialogs } from "../task-actions";

const DRAFT_KEY = "tasklane.task-draft";

// Each test types and clicks through a whole editor: room for a loaded machine.
vi.setConfig({ testTimeout: 30_000 });

/** Opens the editor, for a new task or for `task`. */
function Opener({ task }: { task?: Task }) {
  const { openEditor } = useTaskDialogs();
  return (
    <button type="button" onClick={() => openEditor(task)}>
      Open editor
    </button>
  );
}

const problem = (status: number, detail: string) => json({ type: "about:blank", title: "Error", status, detail }, status);

beforeEach(() => sessionStorage.clear());
afterEach(() => {
  vi.unstubAllGlobals();
  resetSessionForTests();
});

describe("a failed save", () => {
  it("keeps the new task's text in the open editor and Retry sends it again", async () => {
    const answers = [problem(503, "The service is busy."), json(makeTask("t1", { title: "Call the bank" }), 201)];
    const { sent } = renderScreen(<Opener />, (request) =>
      request.method === "POST" ? (answers.shift() ?? problem(500, "?")) : json({ members: [], invitations: [] }),
    );
    await userEvent.click(screen.getByRole("button", { name: "Open editor" }));
    await userEvent.type(screen.getByLabelText("Title"), "Call the bank");
    await userEvent.click(screen.getByRole("button", { name: "Create task" }));

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Not saved: The service is busy.");
    expect(screen.getByRole("dialog", { name: "New task" })).toBeInTheDocument();
    expect(screen.getByLabelText("Title")).toHaveValue("Call the bank");

    await userEvent.click(screen.getByRole("button", { name: "Retry" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(await screen.findByText("Task created")).toBeInTheDocument();
    const posts = sent.filter((r) => r.method === "POST");
    expect(posts).toHaveLength(2);
    expect(await posts[1]?.json()).toMatchObject({ title: "Call the bank" });
    expect(sessionStorage.getItem(DRAFT_KEY)).toBeNull();
  });

  it("keeps an edit open when the browser is offline, saying so", async () => {
    const task = makeTask("t1", { title: "Old title" });
    renderScreen(<Opener task={task} />, (request) => {
      if (request.method === "PATCH") throw new TypeError("Failed to fetch");
      return json({ members: [], invitations: [] });
    });
    await userEvent.click(screen.getByRole("button", { name: "Open editor" }));
    const title = screen.getByLabelText("Title");
    await userEvent.clear(title);
    await userEvent.type(title, "New title I typed");
    await userEvent.click(screen.getByRole("button", { name: "Save changes" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("Cannot reach the server");
    expect(screen.getByRole("dialog", { name: "Edit task" })).toBeInTheDocument();
    expect(screen.getByLabelText("Title")).toHaveValue("New title I typed");
    expect(screen.getByRole("button", { name: "Retry" })).toBeEnabled();
  });

  it("keeps the text when the session has ended, and the draft for after the sign-in", async () => {
    renderScreen(<Opener />, (request) => {
      if (request.url.endsWith("/auth/refresh")) return problem(401, "No session.");
      if (request.method === "POST") return problem(401, "Sign in again.");
      return json({ members: [], invitations: [] });
    });
    await userEvent.click(screen.getByRole("button", { name: "Open editor" }));
    await userEvent.type(screen.getByLabelText("Title"), "Pay the rent");
    await userEvent.type(screen.getByLabelText("Description"), "Before Friday");
    await userEvent.click(screen.getByRole("button", { name: "Create task" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("Not saved");
    expect(screen.getByLabelText("Title")).toHaveValue("Pay the rent");
    const draft = loadDraft(testUser.id);
    expect(draft?.values).toMatchObject({ title: "Pay the rent", description: "Before Friday" });
  });
});

describe("closing a changed editor", () => {
  it("asks first on Esc; Keep editing keeps the text, Discard closes and forgets it", async () => {
    renderScreen(<Opener />, () => json({ members: [], invitations: [] }));
    await userEvent.click(screen.getByRole("button", { name: "Open editor" }));
    await userEvent.type(screen.getByLabelText("Title"), "Half a thought");

    await userEvent.keyboard("{Escape}");
    expect(screen.getByRole("alertdialog", { name: "Discard changes?" })).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Keep editing" }));
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    expect(screen.getByLabelText("Title")).toHaveValue("Half a thought");

    // Esc while asked keeps editing too.
    await userEvent.keyboard("{Escape}");
    expect(screen.getByRole("alertdialog")).toBeInTheDocument();
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    expect(screen.getByRole("dialog", { name: "New task" })).toBeInTheDocument();

    // The close button and Cancel ask the same.
    await userEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.getByRole("alertdialog")).toBeInTheDocument();
    expect(sessionStorage.getItem(DRAFT_KEY)).not.toBeNull();
    await userEvent.click(screen.getByRole("button", { name: "Discard" }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(sessionStorage.getItem(DRAFT_KEY)).toBeNull();
  });

  it("closes an unchanged editor at once", async () => {
    renderScreen(<Opener task={makeTask("t1")} />, () => json({ members: [], invitations: [] }));
    await userEvent.click(screen.getByRole("button", { name: "Open editor" }));
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
  });
});

describe("the draft", () => {
  it("is kept for the tab without any token and reopens the editor for the same user", async () => {
    const task = makeTask("t1", { title: "Plan the trip", version: 3 });
    const first = renderScreen(<Opener task={task} />, () => json({ members: [], invitations: [] }));
    await userEvent.click(screen.getByRole("button", { name: "Open editor" }));
    await userEvent.type(screen.getByLabelText("Title"), " to Lisbon");
    const stored = sessionStorage.getItem(DRAFT_KEY) ?? "";
    expect(JSON.parse(stored)).toMatchObject({ userId: "me", task: { id: "t1", version: 3 }, values: { title: "Plan the trip to Lisbon" } });
    expect(stored).not.toMatch(/token|Bearer/i);
    first.unmount(); // the session ended: the signed-in app is gone

    // Signed in again (the same account): the editor is back with the text.
    const patched: Request[] = [];
    renderScreen(<p>Back</p>, (request) => {
      if (request.method === "PATCH") {
        patched.push(request);
        return json({ ...task, title: "Plan the trip to Lisbon", version: 4 });
      }
      return json({ members: [], invitations: [] });
    });
    expect(await screen.findByRole("dialog", { name: "Edit task" })).toBeInTheDocument();
    expect(screen.getByText("Your unsaved changes were kept.")).toBeInTheDocument();
    expect(screen.getByLabelText("Title")).toHaveValue("Plan the trip to Lisbon");
    await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(patched[0]?.headers.get("If-Match")).toBe('"3"');
    expect(sessionStorage.getItem(DRAFT_KEY)).toBeNull();
  });

  it("is never shown to another account signing in to the tab", () => {
    saveDraft({ userId: "someone-else", task: null, projectId: null, values: { title: "Secret", description: "", status: "todo", priority: "medium", due: "", tags: "", assignee: "" } });
    renderScreen(<p>Home</p>, () => json({}));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(sessionStorage.getItem(DRAFT_KEY)).toBeNull();
  });

  it("is cleared on log out", async () => {
    saveDraft({ userId: "me", task: null, projectId: null, values: { title: "Mine", description: "", status: "todo", priority: "medium", due: "", tags: "", assignee: "" } });
    function LogOut() {
      const { forget } = useAuth();
      return (
        <button type="button" onClick={forget}>
          Log out
        </button>
      );
    }
    vi.stubGlobal("fetch", vi.fn(() => Promise.resolve(problem(401, "No session."))));
    renderWithApp(<LogOut />);
    await userEvent.click(screen.getByRole("button", { name: "Log out" }));
    await waitFor(() => expect(sessionStorage.getItem(DRAFT_KEY)).toBeNull());
  });
});
