// Reminders chosen in the task editor: the task keeps its own offsets, and one of them rings
// the bell before the due time.
import { expect, row, test } from "./fixtures";

test("the editor chooses a task's reminders, and the one an hour before rings the bell", async ({ page, api, audit }) => {
  test.setTimeout(210_000);
  // On a whole minute (the editor's time has no seconds) an hour and a minute or so from now:
  // "1 hour before" comes within two minutes.
  const due = new Date(Math.ceil((Date.now() + 60 * 60_000 + 40_000) / 60_000) * 60_000).toISOString();
  const task = await api.createTask({ title: "Collect the parcel", due_at: due });
  await page.goto("/tasks");
  await expect(row(page, "Collect the parcel")).toBeVisible({ timeout: 20_000 });
  await page.getByRole("button", { name: "Collect the parcel", exact: true }).click();
  const editor = page.getByRole("dialog", { name: "Edit task" });
  const reminders = editor.getByRole("group", { name: "Reminders" });
  await expect(reminders.getByRole("checkbox", { name: /My default reminders/ })).toBeChecked();
  await reminders.getByRole("checkbox", { name: /My default reminders/ }).uncheck();
  await expect(reminders.getByRole("checkbox", { name: "At the due time" })).toBeChecked();
  await reminders.getByRole("checkbox", { name: "1 hour before" }).check();
  await audit("task editor with reminders");
  await editor.getByRole("button", { name: "Save changes" }).click();
  await expect(editor).toBeHidden();
  const saved = () => api.call<{ reminder_offsets: number[] | null }>("GET", `/api/v1/tasks/${task.id}`);
  await expect.poll(async () => (await saved()).reminder_offsets).toEqual([0, 60]);

  const bell = (name: string) => page.getByRole("button", { name, exact: true });
  await expect(async () => {
    await page.evaluate(() => window.dispatchEvent(new Event("visibilitychange")));
    await expect(bell("Notifications, 1 unread")).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 150_000 });
  await bell("Notifications, 1 unread").click();
  await expect(page.getByRole("list", { name: "Notifications" }).getByRole("button", { name: /Collect the parcel/ })).toBeVisible();
});
