// Subtasks and manual order: add subtasks in the editor, reorder them (drag and keyboard),
// see "2/5" on the parent's row, and completing a parent with open subtasks asks first.
import { expect, loaded, row, test, type Api } from "./fixtures";
import type { Page } from "@playwright/test";

interface Sub {
  id: string;
  title: string;
  status: string;
}

const subtasksOf = (api: Api, id: string) =>
  api.call<{ items: Sub[] }>("GET", `/api/v1/tasks/${id}/subtasks`).then((p) => p.items.map((t) => t.title));

const subtaskList = (page: Page, parent: string) => page.getByRole("list", { name: `Subtasks of “${parent}”` });

test("add subtasks, reorder them, and see the parent's progress", async ({ page, api, audit }) => {
  const parent = await api.createTask({ title: "Move house" });
  await page.goto("/tasks");
  await loaded(page);
  await expect(row(page, "Move house")).toBeVisible();
  await page.getByRole("button", { name: "Move house", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Edit task" });
  for (const title of ["Pack books", "Book a van", "Clean the oven"]) {
    await dialog.getByLabel("New subtask").fill(title);
    await dialog.getByRole("button", { name: "Add", exact: true }).click();
    await expect(subtaskList(page, "Move house").getByText(title)).toBeVisible();
  }
  await expect.poll(() => subtasksOf(api, parent.id)).toEqual(["Pack books", "Book a van", "Clean the oven"]);
  await audit("task editor with subtasks");

  // With the mouse: drag "Clean the oven" by its handle above "Pack books".
  const items = subtaskList(page, "Move house").getByRole("listitem");
  const handle = dialog.getByRole("button", { name: /^Reorder “Clean the oven”/ });
  const target = items.filter({ hasText: "Pack books" });
  const from = await handle.boundingBox();
  const to = await target.boundingBox();
  if (!from || !to) throw new Error("the rows are not on the page");
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(from.x + from.width / 2, from.y - 10, { steps: 5 });
  await page.mouse.move(to.x + 20, to.y + 2, { steps: 10 });
  await page.mouse.up();
  await expect.poll(() => subtasksOf(api, parent.id)).toEqual(["Clean the oven", "Pack books", "Book a van"]);
  await expect(items.first()).toContainText("Clean the oven");

  // From the keyboard: Alt+↑ on its handle moves "Book a van" up one place.
  await dialog.getByRole("button", { name: /^Reorder “Book a van”/ }).focus();
  await page.keyboard.press("Alt+ArrowUp");
  await expect.poll(() => subtasksOf(api, parent.id)).toEqual(["Clean the oven", "Book a van", "Pack books"]);
  // Or with the buttons.
  await dialog.getByRole("button", { name: "Move “Pack books” up" }).click();
  await expect.poll(() => subtasksOf(api, parent.id)).toEqual(["Clean the oven", "Pack books", "Book a van"]);

  await dialog.getByRole("checkbox", { name: "Complete subtask “Pack books”" }).check();
  await expect(dialog.getByLabel("1 of 3 subtasks done")).toBeVisible();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  // The list shows the parent with its progress, not its subtasks as rows.
  await expect(row(page, "Move house").getByLabel("1 of 3 subtasks done")).toHaveText(/1\/3/);
  await expect(row(page, "Book a van")).toHaveCount(0);
});

test("completing a parent with open subtasks asks first", async ({ page, api, audit }) => {
  const parent = await api.createTask({ title: "Plan the trip" });
  await api.createTask({ title: "Book flights", parent_id: parent.id });
  await api.createTask({ title: "Renew passport", parent_id: parent.id });
  await page.goto("/tasks");
  await loaded(page);
  await expect(row(page, "Plan the trip").getByLabel("0 of 2 subtasks done")).toBeVisible();

  await row(page, "Plan the trip").getByRole("checkbox", { name: "Complete “Plan the trip”" }).click();
  const ask = page.getByRole("dialog", { name: "Complete the open subtasks too?" });
  await expect(ask).toContainText("has 2 open subtasks");
  await audit("complete parent dialog");
  await ask.getByRole("button", { name: "Cancel" }).click();
  await expect(ask).toBeHidden();
  expect((await api.call<{ status: string }>("GET", `/api/v1/tasks/${parent.id}`)).status).toBe("todo");

  await row(page, "Plan the trip").getByRole("checkbox", { name: "Complete “Plan the trip”" }).click();
  await ask.getByRole("button", { name: "Complete all" }).click();
  await expect(page.getByText("“Plan the trip” completed")).toBeVisible();
  await expect
    .poll(async () => (await api.call<{ items: Sub[] }>("GET", `/api/v1/tasks/${parent.id}/subtasks`)).items.map((t) => t.status))
    .toEqual(["done", "done"]);
});

test("manual order: drag a task into place in a project", async ({ page, api }) => {
  const project = await api.call<{ id: string }>("POST", "/api/v1/projects", { name: "Garden" });
  for (const title of ["Mow the lawn", "Prune the roses", "Water the plants"])
    await api.createTask({ title, project_id: project.id });
  await page.goto(`/tasks?project=${project.id}&sort=position`);
  const items = page.getByRole("list", { name: "Tasks" }).getByRole("listitem");
  await expect(items).toHaveCount(3);
  await expect(items.first()).toContainText("Mow the lawn");

  // Alt+↑ on a row's handle moves it up one place.
  await page.getByRole("button", { name: /^Reorder “Water the plants”/ }).focus();
  await page.keyboard.press("Alt+ArrowUp");
  await page.keyboard.press("Alt+ArrowUp");
  const order = async () =>
    (await api.call<{ items: { title: string }[] }>("GET", `/api/v1/tasks?project_id=${project.id}&sort=position`)).items.map(
      (t) => t.title,
    );
  await expect.poll(order).toEqual(["Water the plants", "Mow the lawn", "Prune the roses"]);
  await page.reload();
  await expect(items.first()).toContainText("Water the plants");
});
