// Every screen in the dark theme and at phone widths.
import { doneBox, expect, everyScreen, logIn, patched, row, rowAction, test } from "./fixtures";

test.describe("390x844 phone", () => {
  test.use({ signedIn: false, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test("log in, create, complete, log out", async ({ page, account, audit, shot }) => {
    await page.goto("/tasks");
    await logIn(page, account);
    await page.waitForURL(/\/tasks$/);
    await page.getByRole("button", { name: "New task" }).click();
    const dialog = page.getByRole("dialog", { name: "New task" });
    await dialog.getByLabel("Title").fill("Buy milk");
    await dialog.getByRole("button", { name: "Create task" }).click();
    await expect(row(page, "Buy milk")).toBeVisible();
    await doneBox(page, "Buy milk").click();
    await expect(doneBox(page, "Buy milk")).toBeChecked();
    await audit("tasks (phone)");
    await shot("phone-tasks");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    expect(overflow, "the page scrolls sideways at 390px").toBe(false);
    await page.getByRole("button", { name: "Log out" }).click();
    await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
  });
});

test.describe("dark theme", () => {
  // The account follows the system, and the system prefers dark.
  test.use({ colorScheme: "dark" });

  test.describe("signed out first", () => {
    test.use({ signedIn: false });

    test("axe on every screen", async ({ page, account, api, audit }) => {
      // Ten axe runs: on a busy machine this takes longer than one test usually may.
      test.slow();
      await api.createTask({ title: "Plan sprint 12", priority: "high" });
      await everyScreen(page, account, async (screen) => {
        await expect(page.locator("html"), `${screen} is not dark`).toHaveClass(/\bdark\b/);
        await audit(`${screen} (dark)`);
      });
    });
  });

  test("conflict dialog, keep the newer version", async ({ page, api, audit, shot }) => {
    const task = await api.createTask({ title: "Plan sprint 12", tags: ["work", "planning"] });
    // A change this page has not heard of: with live updates on, it would hear of it first.
    await page.route("**/api/v1/events", (route) => route.abort());
    await page.goto("/tasks");
    await expect(row(page, "Plan sprint 12")).toBeVisible();
    await api.call("PATCH", `/api/v1/tasks/${task.id}`, { tags: ["work", "planning", "q4"] });
    const refused = patched(page, 412);
    await rowAction(page, "Plan sprint 12", "In progress");
    await refused;
    const conflict = page.getByRole("dialog", { name: "Someone changed this task" });
    await expect(conflict.getByText("work, planning, q4")).toBeVisible();
    await expect(conflict.getByText("Status → In progress")).toBeVisible();
    await audit("conflict dialog (dark)");
    await shot("conflict-dark");
    await conflict.getByRole("button", { name: "Keep the newer version" }).click();
    await expect(conflict).toBeHidden();
    await expect(row(page, "Plan sprint 12").getByText("#q4")).toBeVisible();
    await expect(doneBox(page, "Plan sprint 12")).not.toBeChecked();
    expect((await api.findTask("Plan sprint 12")).status).toBe("todo");
  });
});

test.describe("360 px", () => {
  const width = 360;
  test.use({ signedIn: false, viewport: { width, height: 740 }, isMobile: true, hasTouch: true });

  test("no sideways scrolling on any screen", async ({ page, account, api, shot }) => {
    await api.createTask({ title: "Plan sprint 12", priority: "high", tags: ["work", "planning"] });
    const wide: string[] = [];
    await everyScreen(page, account, async (screen) => {
      // Compared with the device width: a mobile browser widens its layout viewport to fit.
      const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      if (scrollWidth > width) wide.push(`${screen} (${scrollWidth} px)`);
    });
    await shot("narrow-404");
    expect(wide, `wider than ${width} px`).toEqual([]);
  });
});
