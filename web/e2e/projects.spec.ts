// Projects: the sidebar lists them with their open counts; a task goes into the project viewed
// and can be moved to another one; an owner shares a project by email.
import { expect, row, test } from "./fixtures";

test("create a project, add a task to it, move a task to the Inbox, share the project", async ({ page, api, audit }) => {
  await page.goto("/tasks");
  const projects = page.getByRole("navigation", { name: "Projects" });
  const inbox = projects.getByRole("link", { name: "Inbox", exact: true });
  await expect(inbox).toHaveAccessibleDescription("0 open tasks");

  await projects.getByRole("button", { name: "New project" }).click();
  const dialog = page.getByRole("dialog", { name: "New project" });
  await dialog.getByLabel("Name").fill("Garden");
  await dialog.getByLabel("Colour").fill("#16a34a");
  await dialog.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Garden" })).toBeVisible();
  const garden = projects.getByRole("link", { name: "Garden", exact: true });
  await expect(garden).toHaveAttribute("aria-current", "page");

  await page.getByLabel("Add a task to Garden").fill("Plant the tulips");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(row(page, "Plant the tulips")).toBeVisible();
  await expect(garden).toHaveAccessibleDescription("1 open task");
  await audit("a project's tasks");

  await page.getByRole("button", { name: "Actions for “Plant the tulips”" }).click();
  await page.getByRole("menuitem", { name: "Move to…" }).click();
  await page.getByRole("dialog", { name: "Move “Plant the tulips” to…" }).getByRole("button", { name: "Inbox" }).click();
  await expect(page.getByText("Moved to Inbox")).toBeVisible();
  await expect(row(page, "Plant the tulips")).toBeHidden();
  await expect(garden).toHaveAccessibleDescription("0 open tasks");
  await expect(inbox).toHaveAccessibleDescription("1 open task");

  await page.getByRole("button", { name: "Project settings" }).click();
  const settings = page.getByRole("dialog", { name: "Garden settings" });
  await expect(settings.getByRole("list", { name: "Members" })).toContainText("Owner");
  await settings.getByLabel("Email").fill("sam@example.com");
  await settings.getByLabel("Role").selectOption("viewer");
  await settings.getByRole("button", { name: "Share" }).click();
  await expect(page.getByText("Invitation sent to sam@example.com")).toBeVisible();
  await expect(settings.getByRole("list", { name: "Members" })).toContainText("sam@example.com");
  await audit("project settings");
  await settings.getByRole("button", { name: "Close dialog" }).click();

  const { items } = await api.call<{ items: { id: string; is_inbox: boolean; colour: string; name: string }[] }>(
    "GET",
    "/api/v1/projects",
  );
  const task = await api.call<{ items: { title: string }[] }>(
    "GET",
    `/api/v1/tasks?project_id=${items.find((p) => p.is_inbox)?.id ?? ""}`,
  );
  expect(task.items.map((t) => t.title)).toEqual(["Plant the tulips"]);
  expect(items.find((p) => p.name === "Garden")?.colour).toBe("#16a34a");
});
