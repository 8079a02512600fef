// Recurring tasks: completing a daily one shows tomorrow's occurrence; the editor repeats a task
// on chosen weekdays with the next dates from the API; quick add reads "every …". The profile
// lives in Berlin while the browser runs in New York: every time below is Berlin's.
import type { Page } from "@playwright/test";
import { expect, loaded, row, doneBox, test, type Api } from "./fixtures";

const PROFILE_ZONE = "Europe/Berlin";
test.use({ timezoneId: "America/New_York", locale: "en-GB" });

/** A day `days` from today in the profile's zone ("2026-12-03"). */
function berlinDay(days: number): string {
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: PROFILE_ZONE }).format(new Date());
  const [y, m, d] = today.split("-").map(Number);
  return new Date(Date.UTC(y ?? 0, (m ?? 1) - 1, (d ?? 1) + days)).toISOString().slice(0, 10);
}

/** The UTC instant of a wall-clock time on that day in Berlin. */
function berlin(days: number, hour: number): string {
  const day = berlinDay(days);
  const guess = new Date(`${day}T${String(hour).padStart(2, "0")}:00:00Z`);
  const offset = (at: Date) => {
    const local = new Date(at.toLocaleString("en-US", { timeZone: PROFILE_ZONE }));
    const utc = new Date(at.toLocaleString("en-US", { timeZone: "UTC" }));
    return local.getTime() - utc.getTime();
  };
  return new Date(guess.getTime() - offset(guess)).toISOString().replace(".000Z", "Z");
}

/** Opens a screen and waits until it has loaded: a first load on a busy machine takes a while. */
async function open(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await expect(page.locator("main h1")).toBeVisible({ timeout: 20_000 });
  await loaded(page);
}

async function liveInBerlin(api: Api): Promise<void> {
  await api.call("PATCH", "/api/v1/users/me", { timezone: PROFILE_ZONE });
}

interface Repeating {
  id: string;
  title: string;
  status: string;
  due_at: string | null;
  recurrence: string | null;
}

test("completing a daily recurring task shows tomorrow's occurrence", async ({ page, api, audit }) => {
  await liveInBerlin(api);
  await api.createTask({ title: "Water the plants", due_at: berlin(0, 9), recurrence: "FREQ=DAILY" });
  await open(page, "/tasks");
  const rows = row(page, "Water the plants");
  await expect(rows).toHaveCount(1);
  await expect(rows).toContainText("Every day"); // the repeat mark, in words for screen readers
  await expect(rows).toContainText("Today 09:00");

  await doneBox(page, "Water the plants").click();
  await expect(page.getByText("“Water the plants” completed; it repeats every day")).toBeVisible();
  // The next occurrence is on the list at once: tomorrow, still at 09:00 in Berlin.
  await expect(rows).toHaveCount(2);
  const next = rows.filter({ hasText: "Tomorrow 09:00" });
  await expect(next).toHaveCount(1);
  await expect(next.getByRole("checkbox")).not.toBeChecked();
  await expect(rows.filter({ hasText: "Today 09:00" }).getByRole("checkbox")).toBeChecked();
  await audit("tasks with a recurring task");

  const all = await api.call<{ items: Repeating[] }>("GET", "/api/v1/tasks?limit=100&sort=created_at");
  expect(all.items.map((t) => [t.status, t.due_at, t.recurrence])).toEqual([
    ["done", berlin(0, 9), "FREQ=DAILY"],
    ["todo", berlin(1, 9), "FREQ=DAILY"],
  ]);
});

test("the editor repeats a task on chosen weekdays and previews the next dates", async ({ page, api, audit }) => {
  await liveInBerlin(api);
  await open(page, "/tasks");
  await page.getByRole("button", { name: "New task" }).click();
  const editor = page.getByRole("dialog", { name: "New task" });
  await editor.getByLabel("Title").fill("Gym");
  await editor.getByLabel("Due", { exact: true }).fill(berlinDay(1));
  await editor.getByLabel("Due time").fill("07:00");
  await editor.getByLabel("Repeat").selectOption("Custom…");
  // A custom rule starts weekly on the due date's weekday; add another day.
  const days = editor.getByRole("group", { name: "On" });
  await expect(days.getByRole("button", { pressed: true })).toHaveCount(1);
  const other = days.getByRole("button", { pressed: false }).first();
  const otherDay = (await other.textContent()) ?? "";
  await other.click();
  await expect(editor.getByText(/Every week on .* · Next: /)).toBeVisible();
  await audit("editor with a custom recurrence");
  await editor.getByRole("button", { name: "Create task" }).click();
  await expect(editor).toBeHidden();
  await expect(row(page, "Gym")).toContainText(otherDay);
  const task = (await api.findTask("Gym")) as unknown as Repeating;
  expect(task.recurrence).toMatch(/^FREQ=WEEKLY;BYDAY=[A-Z]{2},[A-Z]{2}$/);
  expect(task.due_at).toBe(berlin(1, 7));
});

test("quick add reads a recurrence, highlights it and makes a repeating task", async ({ page, api }) => {
  await liveInBerlin(api);
  await open(page, "/");
  const line = page.getByLabel("Quick add a task");
  await line.fill("Call mum every sunday 10am");
  await expect(page.getByRole("list", { name: "Understood" })).toContainText("Repeats: Every week on Sun");
  await expect(page.locator("mark")).toHaveText(["every sunday", "10am"]);
  await line.press("Enter");
  await expect(page.getByText("Task added")).toBeVisible();
  const task = (await api.findTask("Call mum")) as unknown as Repeating;
  expect(task.recurrence).toBe("FREQ=WEEKLY;BYDAY=SU");
  // A Sunday at 10:00 in Berlin.
  const local = new Date(task.due_at ?? "").toLocaleString("en-GB", { timeZone: PROFILE_ZONE, weekday: "long", hour: "2-digit", minute: "2-digit" });
  expect(local).toBe("Sunday 10:00");
});
