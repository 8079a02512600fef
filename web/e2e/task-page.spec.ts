// A page per task (/tasks/:id): comments (links as links, one's own edited), the history of
// changes, the comment count on the row, and a deep link that survives the login.
import { expect, loaded, logIn, row, test } from "./fixtures";

test("comment on a task, see its history, and its row counts the comments", async ({ page, api, audit }) => {
  const task = await api.createTask({ title: "Pack the tent", description: "List: https://example.com/list" });
  await api.call("PATCH", `/api/v1/tasks/${task.id}`, { title: "Pack the big tent", status: "in_progress" });

  await page.goto("/tasks");
  const open = row(page, "Pack the big tent").getByRole("link", { name: "Open the page of “Pack the big tent”" });
  await expect(open).toBeVisible({ timeout: 20_000 });
  await open.click();
  await expect(page).toHaveURL(new RegExp(`/tasks/${task.id}$`));
  await expect(page.getByRole("heading", { name: "Pack the big tent" })).toBeVisible();
  await expect(page.getByRole("link", { name: "https://example.com/list" })).toHaveAttribute("href", "https://example.com/list");

  const changes = page.getByRole("list", { name: "Changes" });
  await expect(changes.getByText("Erin Example changed the title from Pack the tent to Pack the big tent")).toBeVisible();
  await expect(changes.getByText("Erin Example changed the status from To do to In progress")).toBeVisible();

  await page.getByLabel("Add a comment").fill("Bring the map <b>too</b>: https://example.com/map");
  await page.getByRole("button", { name: "Comment", exact: true }).click();
  const comments = page.getByRole("list", { name: "Comments" });
  const mine = comments.getByRole("listitem").filter({ hasText: "Bring the map" });
  await expect(mine.getByText("<b>too</b>", { exact: false })).toBeVisible();
  await expect(mine.getByRole("link", { name: "https://example.com/map" })).toBeVisible();
  await expect(page.getByLabel("Add a comment")).toHaveValue("");

  await mine.getByRole("button", { name: "Edit your comment" }).click();
  await mine.getByLabel("Your comment").fill("Bring the map and the torch");
  await mine.getByRole("button", { name: "Save" }).click();
  const edited = comments.getByRole("listitem").filter({ hasText: "Bring the map and the torch" });
  await expect(edited.getByText("(edited)")).toBeVisible();
  await loaded(page);
  await audit("task page");

  // Stored as the server has it, and counted on the task's row.
  const stored = await api.call<{ items: { body: string }[] }>("GET", `/api/v1/tasks/${task.id}/comments`);
  expect(stored.items.map((c) => c.body)).toEqual(["Bring the map and the torch"]);
  await page.getByRole("link", { name: "← Inbox" }).click();
  await expect(row(page, "Pack the big tent").getByRole("link", { name: "Open the page of “Pack the big tent” (1 comment)" })).toBeVisible();
});

test.describe("signed out", () => {
  test.use({ signedIn: false });

  test("a link to a task's page goes through the login and comes back to it", async ({ page, api, account }) => {
    const task = await api.createTask({ title: "Renew the passport" });
    await page.goto(`/tasks/${task.id}`);
    await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
    await expect(page).toHaveURL(/\/login\?next=/);
    await logIn(page, account);
    await expect(page).toHaveURL(new RegExp(`/tasks/${task.id}$`));
    await expect(page.getByRole("heading", { name: "Renew the passport" })).toBeVisible();
    await expect(page.getByRole("heading", { name: "Comments" })).toBeVisible();
  });
});
