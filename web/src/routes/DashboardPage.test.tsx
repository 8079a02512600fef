import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { listOf } from "../features/tasks/list-of";
import { axisMax } from "../lib/chart";
import { CompletionsChart } from "./DashboardPage";

const days = (counts: number[]) =>
  counts.map((count, i) => ({ date: `2026-11-${String(20 + i).padStart(2, "0")}`, count }));

describe("the completions chart", () => {
  it("writes each day's value, an axis from 0 to a round top, and the first and last dates", () => {
    const { container } = render(<CompletionsChart days={days([0, 3, 0, 7, 1])} locale="en-GB" />);
    const chart = container.querySelector('[data-chart="completions"]');
    expect(chart).not.toBeNull();
    const values = [...container.querySelectorAll("[data-value]")].map((n) => n.textContent);
    expect(values).toEqual(["3", "7", "1"]);
    // The axis reads 10 at the top and 0 at the bottom.
    expect([...(container.querySelector('[data-axis="y"]')?.children ?? [])].map((n) => n.textContent)).toEqual(["10", "0"]);
    expect(container.querySelector('[data-axis="x"]')?.textContent).toBe("20 Nov24 Nov");
    // The tallest bar reaches 70 % of an axis that ends at 10.
    const bars = [...container.querySelectorAll<HTMLElement>('[title] > div')];
    expect(bars.map((b) => b.style.height)).toEqual(["0%", "30%", "0%", "70%", "10%"]);
    // Screen readers read a table of every day.
    const table = screen.getByRole("table", { name: "Tasks completed per day, last 14 days" });
    expect(within(table).getAllByRole("row")).toHaveLength(5);
    expect(within(table).getByRole("rowheader", { name: "23 Nov" }).nextSibling?.textContent).toBe("7");
  });

  it("labels are text of the page's small size, not drawing that scales with the width", () => {
    const { container } = render(<CompletionsChart days={days([1, 2])} locale="en-GB" />);
    expect(container.querySelector("svg text")).toBeNull();
    expect(container.querySelector("figure")).toHaveClass("text-xs");
  });

  it("says so when nothing was completed instead of drawing empty bars", () => {
    render(<CompletionsChart days={days([0, 0, 0])} locale="en-GB" />);
    expect(screen.getByText("Nothing completed in the last 14 days")).toBeInTheDocument();
    expect(screen.queryByRole("table")).toBeNull();
  });

  it("dates follow the locale it is given", () => {
    const { container } = render(<CompletionsChart days={days([1, 0, 2])} locale="en-US" />);
    expect(container.querySelector('[data-axis="x"]')?.textContent).toBe("Nov 20Nov 22");
  });

  it("rounds the axis up to 1, 2 or 5 times a power of ten", () => {
    expect([1, 2, 3, 5, 6, 10, 11, 27, 140].map(axisMax)).toEqual([1, 2, 5, 5, 10, 10, 20, 50, 200]);
  });
});

describe("a Next due item's list", () => {
  const zone = "Asia/Kolkata";
  it("is Today for an overdue task and one due today in the profile's zone", () => {
    expect(listOf("2026-12-02T10:00:00Z", "2026-12-03", zone).to).toBe("/today");
    // 18:00Z is 23:30 on the 3rd in Kolkata: still today.
    expect(listOf("2026-12-03T18:00:00Z", "2026-12-03", zone).to).toBe("/today");
  });

  it("is Upcoming within the coming week, and every task by due date after it", () => {
    // 19:00Z on the 3rd is 00:30 on the 4th in Kolkata: tomorrow.
    expect(listOf("2026-12-03T19:00:00Z", "2026-12-03", zone).to).toBe("/upcoming");
    expect(listOf("2026-12-10T10:00:00Z", "2026-12-03", zone).to).toBe("/upcoming");
    expect(listOf("2026-12-11T10:00:00Z", "2026-12-03", zone)).toEqual({
      to: "/tasks?status=todo&status=in_progress&sort=due_at",
      name: "Tasks",
    });
  });
});
