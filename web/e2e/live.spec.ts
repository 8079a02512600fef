// Live updates: a change made in one tab shows up in another signed in as the same user,
// through GET /api/v1/events, without a reload.
import { expect, logIn, patched, test } from "./fixtures";

test("a task completed in one browser shows completed in the other", async ({ page, browser, baseURL, account, api }) => {
  await api.createTask({ title: "Write the quarterly report" });
  const title = (p: typeof page) => p.getByRole("button", { name: "Write the quarterly report", exact: true });

  // The second browser signs in through the form: a session of its own (refresh tokens rotate).
  const other = await browser.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  const watcher = await other.newPage();
  await watcher.goto("/login");
  await logIn(watcher, account);
  await watcher.getByText("All tasks").waitFor();
  const stream = watcher.waitForResponse((r) => r.url().includes("/api/v1/events") && r.status() === 200);
  await watcher.goto("/tasks");
  await stream;
  await expect(title(watcher)).toBeVisible();
  await expect(title(watcher)).not.toHaveClass(/line-through/);
  await watcher.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

  await page.goto("/tasks");
  const saved = patched(page, 200);
  await page.getByRole("checkbox", { name: "Complete “Write the quarterly report”" }).click();
  await saved;

  await expect(title(watcher)).toHaveClass(/line-through/, { timeout: 5_000 });
  expect(await watcher.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  await other.close();
});
