// Issue 15's everyday polish: the dashboard's chart and links, the brand colour, filters, toasts,
// the theme following the system, tags, board cards, dialog focus, landmarks, keyboard
// shortcuts and the date locale; then phones (390×844): the first task above the fold, filters in
// a sheet, one board column at a time, touch targets of 44 px.
import type { Page } from "@playwright/test";
import { expect as baseExpect, nav, row, test, type Api } from "./fixtures";

// Several browsers share two cores while these run: waits are generous, the assertions are not.
const expect = baseExpect.configure({ timeout: 30_000 });
test.use({ actionTimeout: 30_000, navigationTimeout: 60_000 });
test.slow();

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const DAY = 86_400_000;

async function someTasks(api: Api) {
  await api.createTask({ title: "Renew passport", priority: "urgent", due_at: new Date(Date.now() - 2 * DAY).toISOString(), tags: ["admin", "travel"] });
  await api.createTask({ title: "Water the plants", tags: ["home"] });
  await api.createTask({ title: "Pay the electricity bill", priority: "high", due_at: new Date(Date.now() + 3 * DAY).toISOString(), tags: ["home", "finance"] });
  const done = await api.createTask({ title: "File the expense report", tags: ["work"] });
  await api.call("PATCH", `/api/v1/tasks/${done.id}`, { status: "done" });
}

/** Whether two boxes overlap. */
const overlap = (a: { x: number; y: number; width: number; height: number }, b: typeof a) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

async function mains(page: Page) {
  return page.locator("main").count();
}

for (const theme of ["light", "dark"] as const) {
  test.describe(`1280×800, ${theme}`, () => {
    test.use({ viewport: DESKTOP, colorScheme: theme });

    test("dashboard: the chart has values, an axis and text-sized labels; counts and Next due open their lists", async ({ page, api, audit }) => {
      await page.goto("/");
      await expect(page.getByText("Nothing completed in the last 14 days")).toBeVisible();
      await someTasks(api);
      await page.reload();
      const chart = page.locator('[data-chart="completions"]');
      await expect(chart.locator("[data-value]")).toHaveText(["1"]);
      await expect(chart.locator('[data-axis="y"] > span')).toHaveText(["1", "0"]);
      // The labels are the size of the page's small text, whatever the width.
      const size = (selector: string) => chart.locator(selector).first().evaluate((n) => getComputedStyle(n).fontSize);
      expect(await size('[data-axis="x"] > span')).toBe("12px");
      expect(await size("[data-value]")).toBe("12px");
      await page.setViewportSize({ width: 700, height: 800 });
      expect(await size('[data-axis="x"] > span')).toBe("12px");
      await page.setViewportSize(DESKTOP);
      await expect(page.locator("main")).toHaveCount(1);
      await audit(`dashboard (${theme})`);

      await page.getByRole("link", { name: /^Overdue\s*1$/ }).click();
      await expect(page).toHaveURL(/\/tasks\?overdue=1/);
      await expect(row(page, "Renew passport")).toBeVisible();
      await expect(row(page, "Water the plants")).toBeHidden();
      await page.goBack();
      await page.getByRole("region", { name: "Next due" }).getByRole("link", { name: "Pay the electricity bill" }).click();
      await expect(page).toHaveURL(/\/upcoming$/);
    });

    test("filters: labels on one line, tag suggestions applied as typed, #home is home; controls in the brand colour", async ({ page, api, audit }) => {
      await someTasks(api);
      await page.goto("/tasks");
      await expect(row(page, "Water the plants")).toBeVisible();
      // Each label sits at the top of its group, and the groups of a row start on one line.
      const groups = await page.locator("[data-filter-group]").evaluateAll((nodes) =>
        nodes.map((n) => ({
          top: Math.round(n.getBoundingClientRect().top),
          label: Math.round((n.querySelector(":scope > legend, :scope > label")?.getBoundingClientRect().top ?? -1)),
        })),
      );
      expect(groups.length).toBeGreaterThanOrEqual(6);
      expect(groups.filter((g) => g.label !== g.top), JSON.stringify(groups)).toEqual([]);
      const rows = new Set(groups.map((g) => g.top));
      expect(rows.size, JSON.stringify(groups)).toBeLessThanOrEqual(2);
      const accent = await page.getByLabel("Overdue only").evaluate((n) => getComputedStyle(n).accentColor);
      expect(accent).not.toBe("auto");

      const tag = page.getByLabel("Tag", { exact: true });
      const suggested = await tag.evaluate((input) =>
        [...((input as HTMLInputElement).list?.options ?? [])].map((o) => o.value),
      );
      expect(suggested.slice(0, 2)).toEqual(["home", "admin"]);
      await tag.fill("#home");
      await expect(page).toHaveURL(/tag=home/);
      await expect(row(page, "Water the plants")).toBeVisible();
      await expect(row(page, "Renew passport")).toBeHidden();
      await audit(`tasks filtered by tag (${theme})`);

      await page.getByRole("button", { name: "New task" }).click();
      const dialog = page.getByRole("dialog", { name: "New task" });
      await expect(dialog.getByLabel("Title")).toBeFocused();
      await dialog.getByLabel("Title").fill("Fix the fence");
      await dialog.getByLabel("Tags").fill("#home, gar*den");
      await dialog.getByRole("button", { name: "Create task" }).click();
      await expect(dialog.getByText("“gar*den” is not a tag")).toBeVisible();
      await dialog.getByLabel("Tags").fill("#home, #garden");
      await dialog.getByRole("button", { name: "Create task" }).click();
      await expect(page.getByText("Task created")).toBeVisible();
      expect((await api.findTask("Fix the fence")).tags).toEqual(["home", "garden"]);
      // Focus went back to the button that opened the dialog.
      await expect(page.getByRole("button", { name: "New task" })).toBeFocused();
    });

    test("board: overdue and tags on cards; Move to…; a disabled choice looks disabled", async ({ page, api, audit }) => {
      await someTasks(api);
      await page.goto("/board");
      const card = page.locator('li:has([data-task-id])').filter({ hasText: "Renew passport" });
      await expect(card).toHaveAttribute("data-overdue", "true");
      await expect(card.getByText("#travel")).toBeVisible();
      await expect(card.getByText(/Overdue ·/)).toBeVisible();
      await audit(`board (${theme})`);
      await card.getByRole("button", { name: "Move “Renew passport” to…" }).click();
      const dialog = page.getByRole("dialog", { name: "Move “Renew passport” to…" });
      const here = dialog.getByRole("button", { name: /To do/ });
      const other = dialog.getByRole("button", { name: "In progress" });
      await expect(here).toBeDisabled();
      const look = (b: typeof here) => b.evaluate((n) => ({ bg: getComputedStyle(n).backgroundColor, fg: getComputedStyle(n).color, cursor: getComputedStyle(n).cursor }));
      const [off, on] = [await look(here), await look(other)];
      expect(off.cursor).toBe("not-allowed");
      expect(off.bg).not.toBe(on.bg);
      expect(off.fg).not.toBe(on.fg);
      await audit(`move to dialog (${theme})`);
      await other.click();
      await expect(page.locator('[data-column="in_progress"]').getByText("Renew passport")).toBeVisible();
    });
  });
}

test.describe("1280×800", () => {
  test.use({ viewport: DESKTOP });

  test("the system theme is followed live, without a reload", async ({ page }) => {
    await page.emulateMedia({ colorScheme: "light" });
    await page.goto("/");
    await expect(page.locator("html")).not.toHaveClass(/\bdark\b/);
    await page.emulateMedia({ colorScheme: "dark" });
    await expect(page.locator("html")).toHaveClass(/\bdark\b/);
    await page.emulateMedia({ colorScheme: "light" });
    await expect(page.locator("html")).not.toHaveClass(/\bdark\b/);
  });

  test("keyboard: go to screens, focus, complete and edit tasks; all listed in the help", async ({ page, api, audit }) => {
    await api.createTask({ title: "Water the plants" });
    await api.createTask({ title: "Pay the bill" });
    await page.goto("/");
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
    await page.keyboard.type("ga");
    await expect(page).toHaveURL(/\/tasks$/);
    await expect(row(page, "Pay the bill")).toBeVisible();
    await page.keyboard.press("j");
    await expect(page.getByRole("button", { name: "Pay the bill", exact: true })).toBeFocused();
    await page.keyboard.press("x");
    await expect(page.getByRole("checkbox", { name: "Complete “Pay the bill”" })).toBeChecked();
    await page.keyboard.press("j");
    await page.keyboard.press("e");
    const editor = page.getByRole("dialog", { name: "Edit task" });
    await expect(editor.getByLabel("Title")).toHaveValue("Water the plants");
    await expect(editor.getByLabel("Title")).toBeFocused();
    await page.keyboard.press("Escape");
    await expect(page.getByRole("button", { name: "Water the plants", exact: true })).toBeFocused();
    await page.keyboard.type("gt");
    await expect(page).toHaveURL(/\/today$/);
    expect(await mains(page)).toBe(1);
    await page.keyboard.press("?");
    const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
    for (const text of ["Go to Today", "Go to All tasks", "Go to Board", "Complete the focused task (or reopen it)", "Edit the focused task"]) {
      await expect(help.getByText(text)).toBeVisible();
    }
    await audit("shortcuts help");
    await page.goto("/no/such/page");
    await expect(page.getByRole("heading", { name: "This page does not exist" })).toBeVisible();
    expect(await mains(page)).toBe(1);
  });

  test("toasts leave room: the last control of a long page can be scrolled clear of them", async ({ page, api }) => {
    for (let i = 0; i < 12; i += 1) await api.createTask({ title: `Chore ${i}` });
    await page.goto("/tasks");
    await page.getByRole("checkbox", { name: "Complete “Chore 0”" }).click();
    const toast = page.getByRole("status").filter({ hasText: "completed" });
    await expect(toast).toBeVisible();
    await page.evaluate(() => {
      window.scrollTo(0, document.documentElement.scrollHeight);
    });
    const last = page.getByRole("button", { name: "Actions for “Chore 0”" });
    const [a, b] = [await last.boundingBox(), await toast.boundingBox()];
    expect(a && b && !overlap(a, b), "the toast covers the last row's menu").toBe(true);
  });

  test("dates follow the locale chosen in settings", async ({ page, api }) => {
    await api.call("PATCH", "/api/v1/users/me", { timezone: "UTC" });
    await api.createTask({ title: "Independence picnic", due_at: "2031-07-04T17:30:00Z" });
    await page.goto("/settings");
    await page.getByLabel("Dates").selectOption("en-US");
    await expect(page.getByText("Date format saved")).toBeVisible();
    await nav(page, "Tasks");
    await expect(row(page, "Independence picnic").locator("time")).toHaveText(/^Jul 4,? 2031,? 5:30\sPM$/);
    await nav(page, "Settings");
    await page.getByLabel("Dates").selectOption("en-GB");
    await expect(page.getByText("Date format saved")).toBeVisible();
    await nav(page, "Tasks");
    await expect(row(page, "Independence picnic").locator("time")).toHaveText("4 Jul 2031 17:30");
  });
});

for (const theme of ["light", "dark"] as const) {
  test.describe(`390×844 phone, ${theme}`, () => {
    test.use({ viewport: PHONE, isMobile: true, hasTouch: true, colorScheme: theme });

    test("the first task shows without scrolling; filters are in a sheet; touch targets are 44 px", async ({ page, api, audit }) => {
      await someTasks(api);
      await page.goto("/tasks");
      const first = page.getByRole("list", { name: "Tasks" }).getByRole("listitem").first();
      await expect(first).toBeVisible();
      const box = await first.boundingBox();
      expect(box && box.y + box.height <= PHONE.height, `first task ends at ${String(box && box.y + box.height)}`).toBe(true);
      await expect(page.getByLabel("Overdue only")).toBeHidden();
      await audit(`tasks (phone, ${theme})`);
      await small(page, "tasks");

      await page.getByRole("button", { name: "Filters" }).click();
      const sheet = page.getByRole("dialog", { name: "Filters and sort" });
      await sheet.getByRole("button", { name: "Urgent" }).click();
      await expect(page).toHaveURL(/priority=urgent/);
      await audit(`filters sheet (phone, ${theme})`);
      await small(page, "filters sheet", sheet);
      await sheet.getByRole("button", { name: "Show tasks" }).click();
      await expect(page.getByRole("button", { name: /^Filters\s*1$/ })).toBeVisible();
      await expect(row(page, "Water the plants")).toBeHidden();

      // A toast never covers the dialog's buttons.
      await page.goto("/tasks");
      await page.getByRole("checkbox", { name: "Complete “Water the plants”" }).click();
      const toast = page.getByRole("status").filter({ hasText: "completed" });
      await expect(toast).toBeVisible();
      await page.getByRole("button", { name: "New task" }).click();
      const create = page.getByRole("dialog", { name: "New task" }).getByRole("button", { name: "Create task" });
      await create.scrollIntoViewIfNeeded();
      const [c, t] = [await create.boundingBox(), await toast.boundingBox()];
      expect(c && t && !overlap(c, t), "the toast covers Create task").toBe(true);
      await page.keyboard.press("Escape");

      await page.goto("/");
      await page.getByRole("heading", { name: "Dashboard" }).waitFor();
      await audit(`dashboard (phone, ${theme})`);
      await small(page, "dashboard");
    });

    test("the board shows one column at a time; every card has Move to…", async ({ page, api, audit }) => {
      await someTasks(api);
      await page.goto("/board");
      const columns = page.locator("[data-column]");
      await expect(columns.filter({ visible: true })).toHaveCount(1);
      await expect(page.locator('[data-column="todo"]')).toBeVisible();
      const card = page.locator('li:has([data-task-id])').filter({ hasText: "Water the plants" });
      await card.getByRole("button", { name: "Move “Water the plants” to…" }).click();
      await page.getByRole("dialog", { name: "Move “Water the plants” to…" }).getByRole("button", { name: "Done" }).click();
      await expect(card).toBeHidden();
      await page.getByRole("group", { name: "Column shown" }).getByRole("button", { name: "Done" }).click();
      await expect(page.locator('[data-column="done"]').getByText("Water the plants")).toBeVisible();
      await expect(columns.filter({ visible: true })).toHaveCount(1);
      await audit(`board (phone, ${theme})`);
      await small(page, "board");
    });
  });
}

/** Fails on any visible control smaller than 44×44 px (text links inside sentences excepted). */
async function small(page: Page, screen: string, within = page.locator("body")) {
  const tiny = await within.evaluate((root) => {
    const controls = root.querySelectorAll<HTMLElement>('a[href], button, input:not([type="hidden"]), select, textarea, [role="button"], [role="checkbox"]');
    const out: string[] = [];
    for (const node of controls) {
      if (!node.checkVisibility() || node.closest(".sr-only") || node.closest('[aria-hidden="true"]')) continue;
      // A checkbox or radio counts with its label, which is the target.
      const target = (node instanceof HTMLInputElement && (node.type === "checkbox" || node.type === "radio") && node.closest("label")) || node;
      const box = target.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) continue;
      if (node.tagName === "A" && getComputedStyle(node).display === "inline") continue;
      if (box.height < 43.5 || box.width < 43.5) out.push(`${node.tagName.toLowerCase()} “${(node.getAttribute("aria-label") ?? node.textContent).trim().slice(0, 40)}” ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
    return out;
  });
  expect(tiny, `controls under 44 px on ${screen}`).toEqual([]);
}
