// Never losing what the user typed: deleting moves a task to the trash at once (Undo and the
// Trash view restore it from the server); a failed save keeps the editor open with the text and
// offers Retry; the editor's draft survives an expired session and the sign-in after it.
import { expect, loaded, logIn, nav, row, rowAction, test, type TaskOut } from "./fixtures";

test("delete moves the task to the trash; the Trash restores it or deletes it for good", async ({ page, api, audit }) => {
  await api.createTask({ title: "Book the dentist" });
  await api.createTask({ title: "Old shopping list" });
  await page.goto("/tasks");
  await expect(row(page, "Book the dentist")).toBeVisible({ timeout: 20_000 });

  const deleted = page.waitForResponse((r) => r.request().method() === "DELETE" && r.url().includes("/api/v1/tasks/"));
  await rowAction(page, "Book the dentist", "Delete");
  expect((await deleted).status()).toBe(204); // at once, not when the toast goes
  await expect(row(page, "Book the dentist")).toHaveCount(0);
  await rowAction(page, "Old shopping list", "Delete");
  await expect(row(page, "Old shopping list")).toHaveCount(0);

  await nav(page, "Trash");
  await page.getByRole("heading", { name: "Trash", level: 1 }).waitFor();
  const trash = page.getByRole("list", { name: "Deleted tasks" });
  await expect(trash.getByRole("listitem")).toHaveCount(2);
  await loaded(page);
  await audit("trash");

  await page.getByRole("button", { name: "Restore “Book the dentist”" }).click();
  await expect(trash.getByText("Book the dentist")).toHaveCount(0);
  await page.getByRole("button", { name: "Delete “Old shopping list” forever" }).click();
  await page.getByRole("group", { name: "Delete “Old shopping list” forever?" }).getByRole("button", { name: "Delete" }).click();
  await expect(page.getByText("The trash is empty")).toBeVisible();

  await nav(page, "Tasks");
  await expect(row(page, "Book the dentist")).toBeVisible();
  await expect(row(page, "Old shopping list")).toHaveCount(0);
  const trashed = await api.call<{ items: TaskOut[] }>("GET", "/api/v1/tasks/trash");
  expect(trashed.items).toEqual([]);
});

test("Undo after a delete restores the task from the server", async ({ page, api }) => {
  await api.createTask({ title: "Renew the passport" });
  await page.goto("/tasks");
  const deleted = page.waitForResponse((r) => r.request().method() === "DELETE" && r.url().includes("/api/v1/tasks/"));
  await rowAction(page, "Renew the passport", "Delete");
  await deleted;
  // On the server it is in the trash already: closing the tab now would lose nothing.
  const trashed = await api.call<{ items: TaskOut[] }>("GET", "/api/v1/tasks/trash");
  expect(trashed.items.map((t) => t.title)).toEqual(["Renew the passport"]);

  const restored = page.waitForResponse((r) => r.url().endsWith("/restore") && r.request().method() === "POST");
  await page.getByRole("status").filter({ hasText: "deleted" }).getByRole("button", { name: "Undo" }).click();
  expect((await restored).status()).toBe(200);
  await expect(row(page, "Renew the passport")).toBeVisible();
  await page.reload();
  await expect(row(page, "Renew the passport")).toBeVisible();
});

test("a failed save keeps the text in the editor, and Retry saves it", async ({ page, api, audit }) => {
  await page.goto("/tasks");
  await loaded(page);
  await page.keyboard.press("n");
  const editor = page.getByRole("dialog", { name: "New task" });
  await editor.getByLabel("Title").fill("Call the plumber about the leak");
  await editor.getByLabel("Description").fill("Under the kitchen sink, since Monday");

  // Offline: the request never reaches the server.
  await page.route("**/api/v1/tasks", (route) => (route.request().method() === "POST" ? route.abort("internetdisconnected") : route.fallback()));
  await editor.getByRole("button", { name: "Create task" }).click();
  await expect(editor.getByRole("alert")).toContainText("Not saved");
  await expect(editor.getByLabel("Title")).toHaveValue("Call the plumber about the leak");
  await audit("editor with a failed save");

  // A server error: still there.
  await page.unroute("**/api/v1/tasks");
  await page.route("**/api/v1/tasks", (route) =>
    route.request().method() === "POST"
      ? route.fulfill({ status: 503, contentType: "application/problem+json", body: JSON.stringify({ type: "about:blank", title: "Service Unavailable", status: 503, detail: "The database is not answering." }) })
      : route.fallback(),
  );
  await editor.getByRole("button", { name: "Retry" }).click();
  await expect(editor.getByRole("alert")).toContainText("The database is not answering.");
  await expect(editor.getByLabel("Description")).toHaveValue("Under the kitchen sink, since Monday");

  // Back: Retry saves what was typed.
  await page.unroute("**/api/v1/tasks");
  await editor.getByRole("button", { name: "Retry" }).click();
  await expect(editor).toHaveCount(0);
  const task = await api.findTask("Call the plumber about the leak");
  expect(task.title).toBe("Call the plumber about the leak");
  await expect(row(page, "Call the plumber about the leak")).toBeVisible();
});

test("Esc on a changed editor asks before discarding", async ({ page, api }) => {
  await api.createTask({ title: "Plan the party" });
  await page.goto("/tasks");
  await rowAction(page, "Plan the party", "Edit");
  const editor = page.getByRole("dialog", { name: "Edit task" });
  await editor.getByLabel("Title").fill("Plan the party for Saturday");
  await page.keyboard.press("Escape");
  const ask = editor.getByRole("alertdialog", { name: "Discard changes?" });
  await expect(ask).toBeVisible();
  await ask.getByRole("button", { name: "Keep editing" }).click();
  await expect(editor.getByLabel("Title")).toHaveValue("Plan the party for Saturday");
  await page.keyboard.press("Escape");
  await ask.getByRole("button", { name: "Discard" }).click();
  await expect(editor).toHaveCount(0);
  expect((await api.findTask("Plan the party")).title).toBe("Plan the party");
});

test("the editor's draft survives an expired session and the sign-in after it", async ({ page, account, api, context }) => {
  await api.createTask({ title: "Existing task" });
  await page.goto("/tasks");
  await loaded(page);
  await page.keyboard.press("n");
  const editor = page.getByRole("dialog", { name: "New task" });
  await editor.getByLabel("Title").fill("Write to the landlord");
  await editor.getByLabel("Description").fill("About the heating, with the photos");
  const stored = await page.evaluate(() => JSON.stringify(sessionStorage));
  expect(stored).toContain("Write to the landlord");
  expect(stored).not.toMatch(/access_token|Bearer|eyJ/);

  // The session ends: the access token is refused and the refresh cookie is gone.
  await context.clearCookies();
  await page.route("**/api/v1/tasks", (route) =>
    route.request().method() === "POST"
      ? route.fulfill({ status: 401, contentType: "application/problem+json", body: JSON.stringify({ type: "about:blank", title: "Unauthorized", status: 401, detail: "Sign in again." }) })
      : route.fallback(),
  );
  await editor.getByRole("button", { name: "Create task" }).click();
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  await page.unroute("**/api/v1/tasks");

  await logIn(page, account);
  const back = page.getByRole("dialog", { name: "New task" });
  await expect(back).toBeVisible();
  await expect(back.getByText("Your unsaved changes were kept.")).toBeVisible();
  await expect(back.getByLabel("Title")).toHaveValue("Write to the landlord");
  await expect(back.getByLabel("Description")).toHaveValue("About the heating, with the photos");
  await back.getByRole("button", { name: "Create task" }).click();
  await expect(back).toHaveCount(0);
  expect((await api.findTask("Write to the landlord")).title).toBe("Write to the landlord");
  expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
});
