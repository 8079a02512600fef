import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Task } from "../../../api/problem";
import { makeTask, renderScreen } from "../../../test/app-harness";
import { json } from "../../../test/render";
import { useTaskDialogs } from "../task-actions";
import { TaskCheckbox } from "./TaskCheckbox";

afterEach(() => vi.unstubAllGlobals());

function Opener({ task }: { task: Task }) {
  const { openEditor } = useTaskDialogs();
  return (
    <button type="button" onClick={() => openEditor(task)}>
      Open editor
    </button>
  );
}

const parent = makeTask("p", { title: "Move house", subtasks_total: 3, subtasks_done: 1 });
const subs = () => [
  makeTask("a", { title: "Pack books", parent_id: "p", position: "a0", status: "done" }),
  makeTask("b", { title: "Book a van", parent_id: "p", position: "a1" }),
  makeTask("c", { title: "Clean the oven", parent_id: "p", position: "a2" }),
];

/** The editor of the parent, against a server holding its subtasks. */
function editor() {
  let items = subs();
  const screenApi = renderScreen(<Opener task={parent} />, async (request) => {
    const url = new URL(request.url);
    if (url.pathname.endsWith("/subtasks")) return json({ items });
    if (url.pathname.endsWith("/move")) {
      const id = url.pathname.split("/").at(-2) ?? "";
      const body = (await request.json()) as { after_id?: string; before_id?: string };
      const task = items.find((t) => t.id === id) as Task;
      const rest = items.filter((t) => t.id !== id);
      const at = body.after_id ? rest.findIndex((t) => t.id === body.after_id) + 1 : rest.findIndex((t) => t.id === body.before_id);
      rest.splice(at, 0, { ...task, version: task.version + 1 });
      items = rest;
      return json(items[at]);
    }
    if (request.method === "POST") {
      const body = (await request.json()) as { title: string; parent_id: string };
      const task = makeTask("d", { ...body, position: "a3" });
      items = [...items, task];
      return json(task, 201);
    }
    if (request.method === "PATCH") {
      const id = url.pathname.split("/").pop() ?? "";
      const body = (await request.json()) as Partial<Task>;
      items = items.map((t) => (t.id === id ? { ...t, ...body, version: t.version + 1 } : t));
      return json(items.find((t) => t.id === id));
    }
    return json({ items: [], next_cursor: null });
  });
  return screenApi;
}

const titles = () =>
  within(screen.getByRole("list", { name: "Subtasks of “Move house”" }))
    .getAllByRole("listitem")
    .map((li) => li.textContent.replace(/[⠿↑↓]/g, "").trim());

describe("subtasks in the task editor", () => {
  it("lists them in order with the parent's progress, and adds one at the end", async () => {
    const { sent } = editor();
    await userEvent.click(screen.getByRole("button", { name: "Open editor" }));
    expect(await screen.findByText("Clean the oven")).toBeInTheDocument();
    expect(titles()).toEqual(["Pack books", "Book a van", "Clean the oven"]);
    expect(screen.getByLabelText("1 of 3 subtasks done")).toHaveTextContent("1/3");

    await userEvent.type(screen.getByLabelText("New subtask"), "Change the address");
    await userEvent.click(screen.getByRole("button", { name: "Add" }));
    expect(await screen.findByText("Change the address")).toBeInTheDocument();
    const post = sent.find((r) => r.method === "POST" && new URL(r.url).pathname === "/api/v1/tasks");
    expect(await post?.json()).toEqual({ title: "Change the address", parent_id: "p" });
    expect(screen.getByLabelText("New subtask")).toHaveValue("");
  });

  it("reorders with the buttons and from the keyboard, saving each move", async () => {
    const { sent } = editor();
    await userEvent.click(screen.getByRole("button", { name: "Open editor" }));
    await screen.findByText("Clean the oven");

    await userEvent.click(screen.getByRole("button", { name: "Move “Pack books” down" }));
    await waitFor(() => expect(titles()).toEqual(["Book a van", "Pack books", "Clean the oven"]));
    const first = sent.find((r) => r.url.endsWith("/a/move"));
    expect(await first?.json()).toEqual({ after_id: "b" });

    // Alt+↑ on a row's handle moves it up one place (Space would pick it up to drag it).
    screen.getByRole("button", { name: /^Reorder “Clean the oven”/ }).focus();
    await userEvent.keyboard("{Alt>}{ArrowUp}{/Alt}");
    await waitFor(() => expect(titles()).toEqual(["Book a van", "Clean the oven", "Pack books"]));
    const second = sent.find((r) => r.url.endsWith("/c/move"));
    expect(await second?.json()).toEqual({ after_id: "b" });
    expect(screen.getByRole("button", { name: "Move “Book a van” up" })).toBeDisabled();
  });

  it("checks one off", async () => {
    const { sent } = editor();
    await userEvent.click(screen.getByRole("button", { name: "Open editor" }));
    await userEvent.click(await screen.findByRole("checkbox", { name: "Complete subtask “Book a van”" }));
    await waitFor(() => expect(screen.getByRole("checkbox", { name: "Complete subtask “Book a van”" })).toBeChecked());
    const patch = sent.find((r) => r.method === "PATCH");
    expect(new URL(patch?.url ?? "").pathname).toBe("/api/v1/tasks/b");
    expect(await patch?.json()).toEqual({ status: "done" });
  });
});

describe("completing a parent with open subtasks", () => {
  function list(answer?: (body: unknown) => void) {
    return renderScreen(<TaskCheckbox task={parent} />, async (request) => {
      const body: unknown = await request.json();
      answer?.(body);
      return json({ ...parent, status: "done", version: 2 });
    });
  }

  it("asks first, and completes them too when told so", async () => {
    const bodies: unknown[] = [];
    list((b) => bodies.push(b));
    await userEvent.click(screen.getByRole("checkbox", { name: "Complete “Move house”" }));
    const dialog = await screen.findByRole("dialog", { name: "Complete the open subtasks too?" });
    expect(dialog).toHaveTextContent("“Move house” has 2 open subtasks.");
    expect(bodies).toEqual([]);
    await userEvent.click(within(dialog).getByRole("button", { name: "Complete all" }));
    await waitFor(() => expect(bodies).toEqual([{ status: "done", open_subtasks: "complete" }]));
  });

  it("can complete the parent only, or nothing at all", async () => {
    const bodies: unknown[] = [];
    list((b) => bodies.push(b));
    await userEvent.click(screen.getByRole("checkbox", { name: "Complete “Move house”" }));
    await userEvent.click(await screen.findByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(bodies).toEqual([]);

    await userEvent.click(screen.getByRole("checkbox", { name: "Complete “Move house”" }));
    await userEvent.click(await screen.findByRole("button", { name: "Only this task" }));
    await waitFor(() => expect(bodies).toEqual([{ status: "done", open_subtasks: "keep" }]));
  });
});
