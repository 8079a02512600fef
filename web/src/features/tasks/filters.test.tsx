import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryRouter } from "react-router";
import { LocationProbe } from "../../test/render";
import { FiltersBar, SEARCH_DEBOUNCE_MS } from "./components/FiltersBar";
import { filtersToParams, hasFilters, parseFilters, toListQuery } from "./filters";
import { taskKeys } from "./api/task-cache";
import type { Task } from "../../api/problem";

function renderBar(route = "/tasks", client = new QueryClient()) {
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[route]}>
        <FiltersBar searchId="search" />
        <LocationProbe />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}
const url = () => screen.getByTestId("location").textContent;

afterEach(() => vi.useRealTimers());

describe("filters in the URL", () => {
  it("reads the initial view from the URL", () => {
    renderBar("/tasks?q=report&status=todo&priority=high&overdue=1&sort=due_at&tag=work");
    expect(screen.getByLabelText("Search tasks")).toHaveValue("report");
    expect(screen.getByRole("button", { name: "To do" })).toHaveAttribute("aria-pressed", "true");
    expect(screen.getByRole("button", { name: "Done" })).toHaveAttribute("aria-pressed", "false");
    expect(screen.getByRole("button", { name: "High" })).toHaveAttribute("aria-pressed", "true");
    expect(screen.getByLabelText("Overdue only")).toBeChecked();
    expect(screen.getByLabelText("Sort")).toHaveValue("due_at");
    expect(screen.getByLabelText("Tag")).toHaveValue("work");
  });

  it("writes filter changes to the URL", () => {
    renderBar();
    fireEvent.click(screen.getByRole("button", { name: "In progress" }));
    fireEvent.click(screen.getByRole("button", { name: "Urgent" }));
    fireEvent.change(screen.getByLabelText("Sort"), { target: { value: "-priority" } });
    fireEvent.click(screen.getByLabelText("Overdue only"));
    fireEvent.change(screen.getByLabelText("Due from"), { target: { value: "2030-01-02" } });
    expect(url()).toBe(
      "/tasks?status=in_progress&priority=urgent&due_from=2030-01-02&overdue=1&sort=-priority",
    );
    fireEvent.click(screen.getByRole("button", { name: "In progress" }));
    expect(url()).not.toContain("status=");
  });

  it("debounces the search before it reaches the URL", () => {
    vi.useFakeTimers();
    renderBar();
    fireEvent.change(screen.getByLabelText("Search tasks"), { target: { value: "qua" } });
    fireEvent.change(screen.getByLabelText("Search tasks"), { target: { value: "quarterly" } });
    expect(url()).toBe("/tasks");
    act(() => {
      vi.advanceTimersByTime(SEARCH_DEBOUNCE_MS + 10);
    });
    expect(url()).toBe("/tasks?q=quarterly");
  });

  it("clears every filter but keeps the sort", () => {
    renderBar("/tasks?q=x&status=done&sort=title");
    fireEvent.click(screen.getByRole("button", { name: "Clear filters" }));
    expect(url()).toBe("/tasks?sort=title");
    expect(screen.getByLabelText("Search tasks")).toHaveValue("");
  });

  it("ignores values the API would refuse", () => {
    const f = parseFilters(new URLSearchParams("status=nope&priority=high&sort=bogus&due_from=tomorrow"));
    expect(f.status).toEqual([]);
    expect(f.priority).toEqual(["high"]);
    expect(f.sort).toBe("-created_at");
    expect(f.dueFrom).toBe("");
    expect(filtersToParams(f).toString()).toBe("priority=high");
  });

  it("turns the due range into whole local days for the API", () => {
    const filters = parseFilters(new URLSearchParams("due_from=2030-01-02&due_to=2030-01-02&tag=Work"));
    // Whole days in the profile's zone, not the browser's.
    const q = toListQuery(filters, "Asia/Kolkata");
    expect(q.due_after).toBe("2030-01-01T18:30:00.000Z");
    expect(q.due_before).toBe("2030-01-02T18:30:00.000Z");
    expect(q.tag).toEqual(["work"]);
  });

  it("keeps the view (a project, assigned to me) through filters, and asks the API for its tasks only", () => {
    const filters = parseFilters(new URLSearchParams("project=p1&status=todo"));
    expect(hasFilters({ ...filters, status: [] })).toBe(false);
    expect(filtersToParams({ ...filters, q: "fence" }).toString()).toBe("q=fence&status=todo&project=p1");
    expect(toListQuery(filters, "UTC").project_id).toBe("p1");
    const mine = parseFilters(new URLSearchParams("assignee=me"));
    expect([hasFilters(mine), toListQuery(mine, "UTC").assignee]).toEqual([false, "me"]);
  });
});

describe("the tag filter", () => {
  it("applies as the user types, taking #home as home", () => {
    vi.useFakeTimers();
    renderBar();
    fireEvent.change(screen.getByLabelText("Tag"), { target: { value: "#Ho" } });
    act(() => {
      vi.advanceTimersByTime(SEARCH_DEBOUNCE_MS + 10);
    });
    expect(url()).toBe("/tasks?tag=ho");
    fireEvent.change(screen.getByLabelText("Tag"), { target: { value: "#Home" } });
    act(() => {
      vi.advanceTimersByTime(SEARCH_DEBOUNCE_MS + 10);
    });
    expect(url()).toBe("/tasks?tag=home");
    expect(screen.getByLabelText("Tag")).toHaveValue("#Home");
  });

  it("suggests the tags of the user's loaded tasks, most used first", () => {
    const client = new QueryClient();
    const task = (id: string, tags: string[]) => ({ id, tags }) as unknown as Task;
    client.setQueryData(taskKeys.list({ sort: "-created_at", limit: 30 }), {
      pages: [{ items: [task("a", ["work", "home"]), task("b", ["home"])], next_cursor: null }],
      pageParams: [null],
    });
    client.setQueryData(taskKeys.list({ sort: "due_at", limit: 5 }), {
      pages: [{ items: [task("b", ["home"]), task("c", ["garden"])], next_cursor: null }],
      pageParams: [null],
    });
    const { container } = renderBar("/tasks", client);
    const list = screen.getByLabelText("Tag").getAttribute("list") ?? "";
    const options = [...(container.querySelector(`datalist[id="${list}"]`)?.querySelectorAll("option") ?? [])];
    expect(options.map((o) => o.value)).toEqual(["home", "garden", "work"]);
  });

  it("names an invalid tag in its message", () => {
    renderBar();
    fireEvent.change(screen.getByLabelText("Tag"), { target: { value: "wo*rk" } });
    expect(screen.getByLabelText("Tag")).toHaveAccessibleDescription(
      "“wo*rk” is not a tag: tags are letters, digits, spaces or . - / _",
    );
  });
});
