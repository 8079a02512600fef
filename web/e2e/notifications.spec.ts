// The bell: a reminder fires at its task's due time and shows up in the header.
import { expect, row, test } from "./fixtures";

test("a reminder rings the bell", async ({ page, api, audit, shot }) => {
  await page.goto("/");
  const bell = (name: string) => page.getByRole("button", { name, exact: true });
  await expect(bell("Notifications, none unread")).toBeVisible();

  await api.createTask({ title: "Call the plumber", due_at: new Date(Date.now() + 3_000).toISOString() });
  // The count is polled every 30 s and asked for again when the tab comes to the front: play
  // the latter rather than wait for the former.
  await expect(async () => {
    await page.evaluate(() => window.dispatchEvent(new Event("visibilitychange")));
    await expect(bell("Notifications, 1 unread")).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });

  await bell("Notifications, 1 unread").click();
  const list = page.getByRole("list", { name: "Notifications" });
  await expect(list.getByRole("button", { name: /Call the plumber/ })).toBeVisible();
  await audit("notifications");
  await shot("notifications");

  await page.getByRole("button", { name: "Mark all read" }).click();
  await expect(bell("Notifications, none unread")).toBeVisible();
  await expect(page.getByRole("button", { name: "Mark all read" })).toHaveAttribute("aria-disabled", "true");

  // A notification leads to its task, by keyboard too.
  await page.keyboard.press("ArrowDown");
  await expect(list.getByRole("button", { name: /Call the plumber/ })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/tasks\?q=Call(%20|\+)the(%20|\+)plumber$/);
  await expect(row(page, "Call the plumber")).toBeVisible();
  await expect(list).toBeHidden();
});
