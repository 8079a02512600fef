import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Task } from "../api/problem";
import { json } from "../test/render";
import { makeTask, renderScreen } from "../test/app-harness";
import BoardPage from "./BoardPage";

afterEach(() => vi.unstubAllGlobals());

function board(tasks: Task[]) {
  return renderScreen(<BoardPage />, async (request) => {
    const url = new URL(request.url);
    if (request.method === "PATCH") {
      const id = url.pathname.split("/").pop() ?? "";
      const body = (await request.json()) as Partial<Task>;
      const task = tasks.find((t) => t.id === id);
      return json({ ...task, ...body, version: (task?.version ?? 1) + 1 });
    }
    const status = url.searchParams.get("status");
    return json({ items: tasks.filter((t) => t.status === status), next_cursor: null });
  });
}

const column = (status: string) => document.querySelector<HTMLElement>(`[data-column="${status}"]`) as HTMLElement;

describe("board cards", () => {
  it("show their tags and whether they are overdue", async () => {
    board([
      makeTask("a", { title: "Renew passport", due_at: "2020-01-01T09:00:00Z", tags: ["admin", "travel"] }),
      makeTask("b", { title: "Water the plants", tags: ["home"] }),
    ]);
    const late = await screen.findByRole("button", { name: "Renew passport, Medium priority, To do, overdue, tags admin, travel" }, { timeout: 5000 });
    const card = late.closest("li") as HTMLElement;
    expect(card).toHaveAttribute("data-overdue", "true");
    expect(within(card).getByText("#admin")).toBeInTheDocument();
    expect(within(card).getByText(/^Overdue · /)).toBeInTheDocument();
    const other = screen.getByRole("button", { name: "Water the plants, Medium priority, To do, tags home" }).closest("li") as HTMLElement;
    expect(other).not.toHaveAttribute("data-overdue");
    expect(within(other).getByText("#home")).toBeInTheDocument();
  });

  it("each have a Move to… that moves the card to the column chosen", async () => {
    const { sent } = board([makeTask("a", { title: "Renew passport" })]);
    await userEvent.click(await screen.findByRole("button", { name: "Move “Renew passport” to…" }, { timeout: 5000 }));
    const dialog = screen.getByRole("dialog", { name: "Move “Renew passport” to…" });
    expect(within(dialog).getByRole("button", { name: /To do/ })).toBeDisabled();
    await userEvent.click(within(dialog).getByRole("button", { name: "In progress" }));
    await waitFor(() => expect(within(column("in_progress")).getByText("Renew passport")).toBeInTheDocument());
    const patch = sent.find((r) => r.method === "PATCH");
    expect(await patch?.json()).toEqual({ status: "in_progress" });
  });
});

describe("the board on a phone", () => {
  it("shows one column at a time, chosen above the board", async () => {
    board([makeTask("a", { title: "Renew passport" }), makeTask("b", { title: "Ship it", status: "done" })]);
    const picker = screen.getByRole("group", { name: "Column shown" });
    expect(within(picker).getByRole("button", { name: "To do" })).toHaveAttribute("aria-pressed", "true");
    // Only the chosen column is drawn below the md breakpoint (the others are md:flex).
    expect(column("todo")).toHaveClass("flex");
    expect(column("done")).toHaveClass("hidden", "md:flex");
    await userEvent.click(within(picker).getByRole("button", { name: "Done" }));
    expect(column("done")).not.toHaveClass("hidden");
    expect(column("todo")).toHaveClass("hidden");
  });
});
