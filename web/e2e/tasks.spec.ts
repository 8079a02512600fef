// The tasks screen: creating, editing, searching, filtering, status changes, deleting with
// undo, bulk actions, and what happens when the server refuses a change.
import { doneBox, expect, loaded, nav, patched, row, rowAction, test } from "./fixtures";

test("dashboard quick add", async ({ page, audit, shot }) => {
  await page.goto("/");
  await page.getByLabel("Quick add a task").fill("Write the quarterly report");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.getByText("Task added")).toBeVisible();
  await expect(page.getByText("All tasks")).toBeVisible();
  await expect(page.getByLabel("Quick add a task")).toHaveValue("");
  await loaded(page);
  await audit("dashboard");
  await shot("dashboard");
  await nav(page, "Tasks");
  await expect(row(page, "Write the quarterly report")).toBeVisible();
});

test("create with the n shortcut", async ({ page, api, audit }) => {
  await api.createTask({ title: "Write the quarterly report" });
  await page.goto("/tasks");
  await expect(row(page, "Write the quarterly report")).toBeVisible();
  await page.keyboard.press("n");
  const dialog = page.getByRole("dialog", { name: "New task" });
  await dialog.getByLabel("Title").fill("Plan the sprint");
  await dialog.getByLabel("Priority").selectOption("high");
  await dialog.getByLabel("Tags").fill("work, planning");
  await audit("new task dialog");
  await dialog.getByRole("button", { name: "Create task" }).click();
  await expect(dialog).toBeHidden();
  await expect(row(page, "Plan the sprint")).toContainText("High");
  await expect(row(page, "Plan the sprint")).toContainText("#planning");
  const task = await api.findTask("Plan the sprint");
  expect([task.priority, task.tags]).toEqual(["high", ["work", "planning"]]);
});

test("edit in the dialog", async ({ page, api }) => {
  await api.createTask({ title: "Plan the sprint", priority: "high" });
  await page.goto("/tasks");
  await page.getByRole("button", { name: "Plan the sprint", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Edit task" });
  await dialog.getByLabel("Title").fill("Plan sprint 12");
  await dialog.getByRole("button", { name: "Save changes" }).click();
  await expect(row(page, "Plan sprint 12")).toBeVisible();
  await expect(page.getByText("Task saved")).toBeVisible();
  expect((await api.findTask("Plan sprint 12")).version).toBe(2);
});

test("search with the / shortcut", async ({ page, api }) => {
  await api.createTask({ title: "Write the quarterly report" });
  await api.createTask({ title: "Plan sprint 12" });
  await page.goto("/tasks");
  await expect(row(page, "Write the quarterly report")).toBeVisible();
  await page.keyboard.press("/");
  await page.keyboard.type("sprint");
  await page.waitForURL(/q=sprint/);
  const items = page.getByRole("list", { name: "Tasks" }).getByRole("listitem");
  await expect(items).toHaveCount(1);
  await expect(items.first()).toContainText("Plan sprint 12");
  await page.getByRole("button", { name: "Clear filters" }).click();
  await expect(row(page, "Write the quarterly report")).toBeVisible();
});

test("filter by priority", async ({ page, api, audit, shot }) => {
  await api.createTask({ title: "Write the quarterly report" });
  await api.createTask({ title: "Plan sprint 12", priority: "high", tags: ["work", "planning"] });
  await page.goto("/tasks");
  await expect(row(page, "Write the quarterly report")).toBeVisible();
  await page.getByRole("button", { name: "High", exact: true }).click();
  await page.waitForURL(/priority=high/);
  await expect(row(page, "Write the quarterly report")).toHaveCount(0);
  await expect(row(page, "Plan sprint 12")).toBeVisible();
  await loaded(page);
  await audit("tasks");
  await shot("tasks");
  await page.getByRole("button", { name: "Clear filters" }).click();
  await expect(row(page, "Write the quarterly report")).toBeVisible();
});

test("one-click done, and undo", async ({ page, api }) => {
  await api.createTask({ title: "Write the quarterly report" });
  await page.goto("/tasks");
  const title = page.getByRole("button", { name: "Write the quarterly report", exact: true });
  const saved = patched(page, 200);
  await doneBox(page, "Write the quarterly report").click();
  await saved;
  await expect(title).toHaveClass(/line-through/);
  await expect(doneBox(page, "Write the quarterly report")).toBeChecked();
  expect((await api.findTask("Write the quarterly report")).status).toBe("done");
  const undone = patched(page, 200);
  await page.getByRole("status").filter({ hasText: "completed" }).getByRole("button", { name: "Undo" }).click();
  await undone;
  await expect(title).not.toHaveClass(/line-through/);
  expect((await api.findTask("Write the quarterly report")).status).toBe("todo");
});

test("status from the row menu, by keyboard", async ({ page, api, audit }) => {
  await api.createTask({ title: "Plan sprint 12" });
  await page.goto("/tasks");
  await page.getByRole("button", { name: "Actions for “Plan sprint 12”" }).click();
  const menu = page.getByRole("menu", { name: "Actions for “Plan sprint 12”" });
  await expect(menu.getByRole("menuitemradio", { name: "To do" })).toBeFocused();
  await expect(menu.getByRole("menuitemradio", { name: "To do" })).toHaveAttribute("aria-checked", "true");
  await audit("row menu");
  await page.keyboard.press("ArrowDown");
  const saved = patched(page, 200);
  await page.keyboard.press("Enter");
  await saved;
  await expect(menu).toBeHidden();
  await expect(page.getByRole("button", { name: "Actions for “Plan sprint 12”" })).toBeFocused();
  expect((await api.findTask("Plan sprint 12")).status).toBe("in_progress");
});

test("delete and undo", async ({ page, api }) => {
  await api.createTask({ title: "Write the quarterly report" });
  await page.goto("/tasks");
  await rowAction(page, "Write the quarterly report", "Delete");
  await expect(row(page, "Write the quarterly report")).toHaveCount(0);
  await page.getByRole("button", { name: "Undo" }).click();
  await expect(row(page, "Write the quarterly report")).toBeVisible();
  await page.reload();
  await expect(row(page, "Write the quarterly report")).toBeVisible();
});

test("delete for good when the undo toast goes away", async ({ page, api }) => {
  await api.createTask({ title: "Water the plants" });
  await page.goto("/tasks");
  await expect(row(page, "Water the plants")).toBeVisible();
  const deleted = page.waitForResponse((r) => r.request().method() === "DELETE" && r.url().includes("/api/v1/tasks/"));
  await rowAction(page, "Water the plants", "Delete");
  await expect(row(page, "Water the plants")).toHaveCount(0);
  await page.getByRole("status").filter({ hasText: "deleted" }).getByRole("button", { name: "Dismiss notification" }).click();
  expect((await deleted).status()).toBe(204);
  const left = await api.call<{ items: unknown[] }>("GET", "/api/v1/tasks");
  expect(left.items).toHaveLength(0);
});

test("bulk complete and bulk delete", async ({ page, api }) => {
  for (const title of ["Buy stamps", "Post the letters", "Keep this one"]) await api.createTask({ title });
  await page.goto("/tasks");
  await expect(page.getByLabel("Select “Buy stamps”")).toHaveCount(0);
  await page.getByRole("button", { name: "Select", exact: true }).click();
  await page.getByLabel("Select “Buy stamps”").check();
  await page.getByLabel("Select “Post the letters”").check();
  const selection = page.getByRole("region", { name: "Selection" });
  await expect(selection).toContainText("2 selected");
  await selection.getByRole("button", { name: "Complete" }).click();
  await expect(page.getByText("2 tasks completed")).toBeVisible();
  await expect(page.getByRole("button", { name: "Buy stamps", exact: true })).toHaveClass(/line-through/);
  await expect(page.getByRole("button", { name: "Keep this one", exact: true })).not.toHaveClass(/line-through/);
  expect((await api.findTask("Post the letters")).status).toBe("done");

  await page.getByLabel("Select “Buy stamps”").check();
  await page.getByLabel("Select “Post the letters”").check();
  const deleted = page.waitForResponse((r) => r.url().endsWith("/api/v1/tasks/bulk") && r.request().method() === "POST");
  await selection.getByRole("button", { name: "Delete" }).click();
  await expect(row(page, "Buy stamps")).toHaveCount(0);
  await expect(row(page, "Post the letters")).toHaveCount(0);
  await page.getByRole("status").filter({ hasText: "2 tasks deleted" }).getByRole("button", { name: "Dismiss notification" }).click();
  expect((await deleted).status()).toBe(200);
  const left = await api.call<{ items: { title: string }[] }>("GET", "/api/v1/tasks");
  expect(left.items.map((t) => t.title)).toEqual(["Keep this one"]);
});

test("412 conflict: the newer version is shown and the change re-applied", async ({ page, api, audit, shot }) => {
  const task = await api.createTask({ title: "Call the plumber", tags: ["home"] });
  await page.goto("/tasks");
  await expect(row(page, "Call the plumber")).toBeVisible();
  // Behind the UI's back: the list still holds version 1.
  await api.call("PATCH", `/api/v1/tasks/${task.id}`, { priority: "urgent" });
  await page.getByRole("button", { name: "Call the plumber", exact: true }).click();
  const editor = page.getByRole("dialog", { name: "Edit task" });
  await editor.getByLabel("Title").fill("Call the plumber about the leak");
  const refused = patched(page, 412);
  await editor.getByRole("button", { name: "Save changes" }).click();
  await refused;
  const conflict = page.getByRole("dialog", { name: "Someone changed this task" });
  await expect(conflict.getByText("Urgent", { exact: true })).toBeVisible();
  await expect(conflict.getByText("Title → Call the plumber about the leak")).toBeVisible();
  await expect(row(page, "Call the plumber").getByText("Urgent")).toBeVisible();
  await audit("conflict dialog");
  await shot("conflict");
  const applied = patched(page, 200);
  await conflict.getByRole("button", { name: "Re-apply my change" }).click();
  await applied;
  await expect(page.getByText("Your change was applied")).toBeVisible();
  await expect(row(page, "Call the plumber about the leak").getByText("Urgent")).toBeVisible();
  const fresh = await api.call<{ title: string; priority: string; version: number }>("GET", `/api/v1/tasks/${task.id}`);
  expect({ title: fresh.title, priority: fresh.priority, version: fresh.version }).toEqual({
    title: "Call the plumber about the leak",
    priority: "urgent",
    version: 3,
  });
});

test("optimistic status change rolled back when the API refuses it", async ({ page, api }) => {
  const task = await api.createTask({ title: "Renew the car insurance" });
  // No live updates here: the delete behind the UI's back would otherwise remove the row.
  await page.route("**/api/v1/events", (route) => route.abort());
  await page.goto("/tasks");
  await expect(row(page, "Renew the car insurance")).toBeVisible();
  await api.call("DELETE", `/api/v1/tasks/${task.id}`);
  // The PATCH goes to the real API (a 404 now); its answer is held until the optimistic state
  // has been seen.
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  await page.route("**/api/v1/tasks/*", async (route) => {
    if (route.request().method() !== "PATCH") return route.fallback();
    const response = await route.fetch();
    await gate;
    return route.fulfill({ response });
  });
  const title = page.getByRole("button", { name: "Renew the car insurance", exact: true });
  const status = doneBox(page, "Renew the car insurance");
  const refused = patched(page, 404);
  await status.click();
  await expect(title).toHaveClass(/line-through/);
  await expect(status).toBeChecked();
  release();
  await refused;
  await expect(page.getByRole("alert").filter({ hasText: "Not saved" })).toBeVisible();
  await expect(title).not.toHaveClass(/line-through/);
  await expect(status).not.toBeChecked();
});
