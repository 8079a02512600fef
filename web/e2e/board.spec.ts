// The board: cards move between columns by drag and drop and by keyboard.
import { expect, test } from "./fixtures";

test("board drag and keyboard move", async ({ page, api, audit, shot }) => {
  await api.createTask({ title: "Plan sprint 12", priority: "high" });
  await api.createTask({ title: "Write the quarterly report" });
  await page.goto("/board");
  const card = page.locator("[data-task-id]").filter({ hasText: "Plan sprint 12" });
  await expect(card).toBeVisible();
  const saved = page.waitForResponse((r) => r.url().includes("/api/v1/tasks/") && r.request().method() === "PATCH");
  await card.dragTo(page.locator('[data-column="in_progress"]'));
  await expect(page.locator('[data-column="in_progress"]').getByText("Plan sprint 12")).toBeVisible();
  expect((await saved).status()).toBe(200);
  const moved = page.locator('[data-column="in_progress"] [data-task-id]').filter({ hasText: "Plan sprint 12" });
  await moved.focus();
  const again = page.waitForResponse((r) => r.url().includes("/api/v1/tasks/") && r.request().method() === "PATCH");
  await page.keyboard.press("ArrowRight");
  await expect(page.locator('[data-column="done"]').getByText("Plan sprint 12")).toBeVisible();
  // Focus stays on the card in its new column, so the next arrow moves it on.
  await expect(page.locator('[data-column="done"] [data-task-id]').filter({ hasText: "Plan sprint 12" })).toBeFocused();
  expect((await again).status()).toBe(200);
  expect((await api.findTask("Plan sprint 12")).status).toBe("done");
  await audit("board");
  await shot("board");
});
