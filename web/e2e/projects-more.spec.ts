// Issue 14's web leftovers: drag a task onto a project in the sidebar; the archived projects,
// restored or deleted; an owner changes a member's role and withdraws an invitation; rows show
// the assignee.
import { randomUUID } from "node:crypto";
import { expect as baseExpect, row, test, type Api } from "./fixtures";
import { verifyLink, waitForMail } from "./mail";

const expect = baseExpect.configure({ timeout: 30_000 });
test.use({ viewport: { width: 1280, height: 800 }, actionTimeout: 30_000, navigationTimeout: 60_000 });
test.slow();

interface ProjectOut {
  id: string;
  name: string;
}

async function project(api: Api, name: string): Promise<ProjectOut> {
  return api.call<ProjectOut>("POST", "/api/v1/projects", { name, colour: "#16a34a" });
}

test("drag a task from the list onto a project in the sidebar", async ({ page, api, audit }) => {
  const garden = await project(api, "Garden");
  await api.createTask({ title: "Plant the tulips" });
  await page.goto("/tasks");
  const projects = page.getByRole("navigation", { name: "Projects" });
  await expect(row(page, "Plant the tulips")).toBeVisible();
  await row(page, "Plant the tulips").dragTo(projects.getByRole("link", { name: "Garden", exact: true }));
  await expect(page.getByText("Moved “Plant the tulips” to Garden")).toBeVisible();
  await expect(projects.getByRole("link", { name: "Garden", exact: true })).toHaveAccessibleDescription("1 open task");
  const task = await api.call<{ items: { title: string }[] }>("GET", `/api/v1/tasks?project_id=${garden.id}`);
  expect(task.items.map((t) => t.title)).toEqual(["Plant the tulips"]);
  await audit("tasks after a drag onto a project");
});

test("archived projects are listed, restored and deleted", async ({ page, api, audit }) => {
  const old = await project(api, "Old garden");
  const house = await project(api, "Move house");
  for (const p of [old, house]) await api.call("PATCH", `/api/v1/projects/${p.id}`, { archived: true });
  await page.goto("/tasks");
  const projects = page.getByRole("navigation", { name: "Projects" });
  await expect(projects.getByRole("link", { name: "Inbox", exact: true })).toBeVisible();
  await expect(projects.getByRole("link", { name: "Old garden" })).toBeHidden();
  await projects.getByRole("button", { name: "Archived projects" }).click();
  const dialog = page.getByRole("dialog", { name: "Archived projects" });
  await expect(dialog.getByRole("list", { name: "Archived projects" }).getByRole("listitem")).toHaveCount(2);
  await audit("archived projects");
  await dialog.getByRole("button", { name: "Restore Old garden" }).click();
  await expect(page.getByText("“Old garden” restored")).toBeVisible();
  await expect(projects.getByRole("link", { name: "Old garden", exact: true })).toBeVisible();
  await dialog.getByRole("button", { name: "Delete Move house" }).click();
  await dialog.getByRole("button", { name: "Delete Move house and its tasks for good" }).click();
  await expect(page.getByText("Project deleted")).toBeVisible();
  await expect(dialog.getByText("No archived projects.")).toBeVisible();
  const archived = await api.call<{ items: unknown[] }>("GET", "/api/v1/projects?archived=true");
  expect(archived.items).toEqual([]);
});

test("an owner changes a member's role and withdraws an invitation; rows show the assignee", async ({ page, api, playwright, baseURL, audit }) => {
  // A second account to share with.
  const sam = { name: "Sam Sample", email: `e2e-${randomUUID()}@example.com`, password: "correct horse battery" };
  const request = await playwright.request.newContext({ baseURL });
  const since = Date.now();
  expect((await request.post("/api/v1/auth/register", { data: sam })).status()).toBe(201);
  // A share binds to an account whose address is verified: Sam opens the link mailed at sign-up.
  const token = verifyLink(await waitForMail(sam.email, since, 30_000)).hash.replace("#token=", "");
  expect((await request.post("/api/v1/auth/email/confirm", { data: { token } })).ok()).toBe(true);
  await request.dispose();
  const garden = await project(api, "Garden");
  await api.call("POST", `/api/v1/projects/${garden.id}/members`, { email: sam.email, role: "editor" });
  await api.call("POST", `/api/v1/projects/${garden.id}/members`, { email: "kim@example.com", role: "viewer" });
  const members = await api.call<{ members: { user_id: string; name: string }[] }>("GET", `/api/v1/projects/${garden.id}/members`);
  const samId = members.members.find((m) => m.name === "Sam Sample")?.user_id;
  await api.createTask({ title: "Paint the fence", project_id: garden.id, assignee_id: samId });

  await page.goto(`/tasks?project=${garden.id}`);
  await expect(row(page, "Paint the fence")).toContainText("Assigned to Sam");
  await page.getByRole("button", { name: "Project settings" }).click();
  const settings = page.getByRole("dialog", { name: "Garden settings" });
  const role = settings.getByLabel("Role of Sam Sample");
  await expect(role).toHaveValue("editor");
  await role.selectOption("viewer");
  await expect(page.getByText("Role changed to Viewer")).toBeVisible();
  await settings.getByRole("button", { name: "Withdraw the invitation to kim@example.com" }).click();
  await expect(page.getByText("Invitation withdrawn")).toBeVisible();
  await expect(settings.getByText("kim@example.com")).toBeHidden();
  await audit("project settings with roles");
  const after = await api.call<{ members: { name: string; role: string }[]; invitations: unknown[] }>(
    "GET",
    `/api/v1/projects/${garden.id}/members`,
  );
  expect(after.members.find((m) => m.name === "Sam Sample")?.role).toBe("viewer");
  expect(after.invitations).toEqual([]);
});
