// Date-only due dates ("due Friday", no time) in the profile's zone, whatever zone the browser
// runs in: quick add, the rows, Today and Upcoming, the editor.
import type { Page } from "@playwright/test";
import { expect, test, type Api } from "./fixtures";

// The browser runs in Los Angeles (UTC-8); the profile lives on Kiritimati (UTC+14), a day
// ahead for most of Los Angeles' day.
const PROFILE_ZONE = "Pacific/Kiritimati";
test.use({ timezoneId: "America/Los_Angeles", locale: "en-GB" });

/** The day `days` after today on the profile's calendar, "yyyy-mm-dd". */
function kiritimati(days: number): string {
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: PROFILE_ZONE }).format(new Date());
  const [y, m, d] = today.split("-").map(Number);
  return new Date(Date.UTC(y ?? 0, (m ?? 1) - 1, (d ?? 1) + days)).toISOString().slice(0, 10);
}

interface Due {
  due_at: string | null;
  due_date: string | null;
}

async function liveOnKiritimati(api: Api): Promise<void> {
  await api.call("PATCH", "/api/v1/users/me", { timezone: PROFILE_ZONE });
}

async function open(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await expect(page.locator("main h1")).toBeVisible({ timeout: 20_000 });
  await page.waitForFunction(
    () => !document.querySelector('.animate-pulse, [role="status"][aria-label^="Loading"]'),
    undefined,
    { timeout: 20_000 },
  );
}

/** The due text of a task's row in a list. */
const dueOf = (page: Page, list: string, title: string) =>
  page.getByRole("list", { name: list, exact: true }).getByRole("listitem").filter({ hasText: title }).locator("time");

test("a day without a time: quick add, rows, Today and Upcoming on the profile's calendar", async ({ page, api, audit }) => {
  await liveOnKiritimati(api);
  await api.createTask({ title: "Pay rent", due_date: kiritimati(0) });
  await api.createTask({ title: "Return the books", due_date: kiritimati(-1) });
  await api.createTask({ title: "Call the bank", due_date: kiritimati(1) });
  // A timed task at 09:00 today on Kiritimati comes before the day's date-only ones.
  const nine = new Date(`${kiritimati(0)}T09:00:00+14:00`).toISOString();
  await api.createTask({ title: "Standup", due_at: nine });

  await open(page, "/today");
  const today = page.getByRole("list", { name: "Today", exact: true });
  await expect(today.getByRole("listitem")).toHaveCount(2);
  await expect(today.getByRole("listitem").first()).toContainText("Standup");
  await expect(dueOf(page, "Today", "Pay rent")).toHaveText("Today");
  await expect(dueOf(page, "Today", "Pay rent")).toHaveAttribute("title", /\(all day\)$/);
  await expect(dueOf(page, "Overdue", "Return the books")).toHaveText("Overdue · Yesterday");
  await expect(page.getByRole("list", { name: "Tomorrow", exact: true })).toHaveCount(0);
  await audit("today with date-only tasks");

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Upcoming", exact: true }).click();
  await expect(dueOf(page, "Tomorrow", "Call the bank")).toHaveText("Tomorrow");

  // Quick add: a day named without a time makes a date-only task, shown without a time.
  const line = page.getByLabel("Add an upcoming task");
  await line.fill("Renew the passport in 3 days");
  const understood = page.getByRole("list", { name: "Understood" });
  await expect(understood).toContainText("Due: ");
  await expect(understood).not.toContainText(/\d:\d\d|AM|PM|end of day/);
  await line.press("Enter");
  await expect(page.getByText("Task added")).toBeVisible();
  const passport = (await api.findTask("Renew the passport")) as unknown as Due;
  expect(passport).toMatchObject({ due_at: null, due_date: kiritimati(3) });
  await expect(page.getByRole("main").getByRole("listitem").filter({ hasText: "Renew the passport" }).locator("time")).not.toContainText(
    /\d:\d\d|AM|PM/,
  );
});

test("the editor picks a day without a time, adds one and takes it away", async ({ page, api }) => {
  await liveOnKiritimati(api);
  await api.createTask({ title: "Pay rent", due_date: kiritimati(2) });
  await open(page, "/tasks");
  await page.getByRole("button", { name: "Pay rent", exact: true }).click();
  const editor = page.getByRole("dialog", { name: "Edit task" });
  const day = editor.getByLabel("Due", { exact: true });
  const time = editor.getByLabel("Due time");
  await expect(day).toHaveValue(kiritimati(2));
  await expect(time).toHaveValue("");
  await expect(editor.getByText("All day (no time)")).toBeVisible();

  await time.fill("18:00");
  await expect(editor.getByText(`Time in ${PROFILE_ZONE}`)).toBeVisible();
  await editor.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText("Task saved")).toBeVisible();
  let task = (await api.findTask("Pay rent")) as unknown as Due;
  // 18:00 on Kiritimati, not in Los Angeles where the browser runs.
  expect(task.due_date).toBeNull();
  expect(task.due_at && new Date(task.due_at).toISOString()).toBe(new Date(`${kiritimati(2)}T18:00:00+14:00`).toISOString());

  await page.getByRole("button", { name: "Pay rent", exact: true }).click();
  await editor.getByRole("button", { name: "Remove the time" }).click();
  await day.fill(kiritimati(4));
  await editor.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText("Task saved").first()).toBeVisible();
  await expect
    .poll(async () => ((await api.findTask("Pay rent")) as unknown as Due).due_date, { timeout: 5_000 })
    .toBe(kiritimati(4));
  task = (await api.findTask("Pay rent")) as unknown as Due;
  expect(task.due_at).toBeNull();
});
