// Everyday use: quick add that understands, Today and Upcoming with counts, one clock (the
// profile's zone, whatever zone the browser runs in), one-click done from every list.
import type { Page } from "@playwright/test";
import { doneBox, expect, loaded, nav, patched, test, type Api } from "./fixtures";

// The browser runs in Los Angeles; the profiles below live in Kolkata (UTC+05:30, no DST).
const PROFILE_ZONE = "Asia/Kolkata";
test.use({ timezoneId: "America/Los_Angeles", locale: "en-GB" });

/** Today in the profile's zone, and the UTC instant of a wall-clock time `days` later there. */
function kolkata(days: number, hour: number, minute = 0): string {
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: PROFILE_ZONE }).format(new Date());
  const [y, m, d] = today.split("-").map(Number);
  return new Date(Date.UTC(y ?? 0, (m ?? 1) - 1, (d ?? 1) + days, hour, minute) - 330 * 60_000).toISOString();
}

/** The same, as the value of a datetime-local input showing Kolkata's wall clock. */
const kolkataInput = (days: number, hour: number, minute = 0) =>
  new Date(Date.parse(kolkata(days, hour, minute)) + 330 * 60_000).toISOString().slice(0, 16);

async function liveInKolkata(api: Api): Promise<void> {
  await api.call("PATCH", "/api/v1/users/me", { timezone: PROFILE_ZONE });
}

/**
 * Opens a screen and waits until it has loaded (code, session, lists): a first load on a busy
 * machine takes longer than one step may.
 */
async function open(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await expect(page.locator("main h1")).toBeVisible({ timeout: 20_000 });
  await page.waitForFunction(
    () => !document.querySelector('.animate-pulse, [role="status"][aria-label^="Loading"]'),
    undefined,
    { timeout: 20_000 },
  );
}

/** The heights of the task rows on the screen, in px. */
const rowHeights = (page: Page) =>
  page.locator("main li[data-task-row]").evaluateAll((rows) => rows.map((r) => r.getBoundingClientRect().height));

const navCount = (page: Page, view: string) =>
  page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: view, exact: true });

test("quick add understands dates, priority and tags in the profile's zone", async ({ page, api, audit, shot }) => {
  await liveInKolkata(api);
  await open(page, "/");
  const line = page.getByLabel("Quick add a task");
  await line.fill("Call mum tomorrow 9am !high #family every sunday");
  const understood = page.getByRole("list", { name: "Understood" });
  await expect(understood).toContainText("Due: ");
  await expect(understood).toContainText("Priority: High");
  await expect(understood).toContainText("Tag: family");
  await expect(understood).toContainText("Repeats: Every week on Sun");
  await expect(page.locator("mark")).toHaveText(["tomorrow 9am", "!high", "#family", "every sunday"]);
  await audit("quick add");
  await shot("quick-add");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.getByText("Task added")).toBeVisible();
  await expect(line).toHaveValue("");
  const task = (await api.findTask("Call mum")) as unknown as {
    due_at: string;
    priority: string;
    tags: string[];
    recurrence: string;
  };
  // The first Sunday from tomorrow, at 09:00 in Kolkata, not in Los Angeles where the browser runs.
  const sunday = [1, 2, 3, 4, 5, 6, 7].find(
    (days) => new Intl.DateTimeFormat("en-GB", { timeZone: PROFILE_ZONE, weekday: "long" }).format(new Date(kolkata(days, 9))) === "Sunday",
  );
  expect(new Date(task.due_at).toISOString()).toBe(kolkata(sunday ?? 0, 9));
  expect([task.priority, task.tags, task.recurrence]).toEqual(["high", ["family"], "FREQ=WEEKLY;BYDAY=SU"]);

  // Esc keeps the last recognised part as words.
  await line.fill("Read Tomorrow Never Dies");
  await expect(understood).toContainText("Due: Tomorrow");
  await line.press("Escape");
  await expect(understood).toHaveCount(0);
  await line.press("Enter");
  await expect(page.getByText("Task added")).toHaveCount(1);
  const book = (await api.findTask("Read Tomorrow Never Dies")) as unknown as { due_at: string | null };
  expect(book.due_at).toBeNull();

  // Pasting more than a title holds says so, like the editor; nothing is cut or sent.
  await line.fill("x".repeat(201));
  await expect(page.getByText("Use at most 200 characters.")).toBeVisible();
  await expect(line).toHaveValue("x".repeat(201));
});

test("Today and Upcoming, counted in the navigation, days in the profile's zone", async ({ page, api, audit, shot }) => {
  await liveInKolkata(api);
  await api.createTask({ title: "Pay the electricity bill", due_at: kolkata(-1, 10), priority: "high" });
  await api.createTask({ title: "Water the plants", due_at: kolkata(0, 23, 30) });
  // 00:30 tomorrow in Kolkata is still today in Los Angeles: it belongs to Upcoming.
  await api.createTask({ title: "Call the bank", due_at: kolkata(1, 0, 30) });
  await api.createTask({ title: "Dentist", due_at: kolkata(3, 14, 15), tags: ["health"] });
  await api.createTask({ title: "Already done", due_at: kolkata(0, 8), status: "done" });
  await api.createTask({ title: "Someday maybe" });

  await open(page, "/today");
  await expect(navCount(page, "Today")).toHaveAccessibleDescription("2 tasks");
  await expect(navCount(page, "Upcoming")).toHaveAccessibleDescription("2 tasks");
  await expect(page.getByRole("list", { name: "Overdue" })).toContainText("Pay the electricity bill");
  const today = page.getByRole("list", { name: "Today" });
  await expect(today).toContainText("Water the plants");
  await expect(today).toContainText("Today 23:30");
  await expect(page.getByText("Call the bank")).toHaveCount(0);
  await expect(page.getByText("Already done")).toHaveCount(0);
  await loaded(page);
  // One line a row on a laptop.
  expect(await rowHeights(page)).toEqual([expect.any(Number), expect.any(Number)]);
  for (const height of await rowHeights(page)) expect(height).toBeLessThanOrEqual(56);
  await audit("today");
  await shot("today");

  // Done in one click: gone from Today and its count, back with Undo.
  await doneBox(page, "Water the plants").click();
  await expect(today).toHaveCount(0);
  await expect(navCount(page, "Today")).toHaveAccessibleDescription("1 task");
  await page.getByRole("status").filter({ hasText: "completed" }).getByRole("button", { name: "Undo" }).click();
  await expect(page.getByRole("list", { name: "Today" })).toContainText("Water the plants");
  await expect(navCount(page, "Today")).toHaveAccessibleDescription("2 tasks");

  await nav(page, "Upcoming");
  const tomorrow = page.getByRole("list", { name: "Tomorrow" });
  await expect(tomorrow).toContainText("Call the bank");
  await expect(tomorrow).toContainText("Tomorrow 00:30");
  await expect(page.locator("main")).toContainText("Dentist");
  await loaded(page);
  await audit("upcoming");
  await shot("upcoming");

  // A task added on the Today screen without a date is due today.
  await nav(page, "Today");
  await page.getByLabel("Add a task for today").fill("Buy bread #errands");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.getByRole("list", { name: "Today" })).toContainText("Buy bread");
  await expect(navCount(page, "Today")).toHaveAccessibleDescription("3 tasks");
});

test.describe("390x844 phone", () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test("Today on a phone: first task in view, done in one tap", async ({ page, api, audit, shot }) => {
    await liveInKolkata(api);
    await api.createTask({ title: "Pay the electricity bill", due_at: kolkata(-1, 10), priority: "high", tags: ["home"] });
    await api.createTask({ title: "Water the plants", due_at: kolkata(0, 23, 30) });
    await open(page, "/today");
    await expect(page.getByRole("button", { name: "Pay the electricity bill", exact: true })).toBeInViewport();
    const box = await doneBox(page, "Water the plants").locator("xpath=..").boundingBox();
    expect(Math.min(box?.width ?? 0, box?.height ?? 0), "touch target").toBeGreaterThanOrEqual(44);
    await loaded(page);
    // At most two lines a row on a phone, tags and all.
    for (const height of await rowHeights(page)) expect(height).toBeLessThanOrEqual(72);
    await audit("today (phone)");
    await shot("phone-today");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    expect(overflow, "the page scrolls sideways at 390px").toBe(false);
    const saved = patched(page, 200);
    await doneBox(page, "Water the plants").tap();
    await expect(page.getByRole("list", { name: "Today" })).toHaveCount(0);
    await saved;
    expect((await api.findTask("Water the plants")).status).toBe("done");
  });
});

test("one-click done on the dashboard and on a board card", async ({ page, api }) => {
  await api.createTask({ title: "Renew the passport", due_at: kolkata(2, 9) });
  await api.createTask({ title: "Plan sprint 12" });
  await open(page, "/");
  await doneBox(page, "Renew the passport").click();
  await expect(page.getByRole("status").filter({ hasText: "“Renew the passport” completed" })).toBeVisible();
  expect((await api.findTask("Renew the passport")).status).toBe("done");
  await nav(page, "Board");
  const saved = patched(page, 200);
  await doneBox(page, "Plan sprint 12").click();
  await expect(page.locator('[data-column="done"]').getByText("Plan sprint 12")).toBeVisible();
  await saved;
  expect((await api.findTask("Plan sprint 12")).status).toBe("done");
});

test("the editor shows and takes times in the profile's zone", async ({ page, api }) => {
  await liveInKolkata(api);
  await api.createTask({ title: "Call the bank", due_at: kolkata(1, 0, 30) });
  await open(page, "/tasks");
  await page.getByRole("button", { name: "Call the bank", exact: true }).click();
  const editor = page.getByRole("dialog", { name: "Edit task" });
  const day = editor.getByLabel("Due", { exact: true });
  const time = editor.getByLabel("Due time");
  await expect(day).toHaveValue(kolkataInput(1, 0, 30).slice(0, 10));
  await expect(time).toHaveValue("00:30");
  await expect(editor.getByText(`Time in ${PROFILE_ZONE}`)).toBeVisible();
  await day.fill(kolkataInput(2, 18).slice(0, 10));
  await time.fill("18:00");
  await editor.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText("Task saved")).toBeVisible();
  const task = (await api.findTask("Call the bank")) as unknown as { due_at: string };
  expect(new Date(task.due_at).toISOString()).toBe(kolkata(2, 18));
});

test("the zone picker: searchable, current names, this device's zone first", async ({ page, api, audit }) => {
  await open(page, "/settings");
  const found = page.getByLabel("Time zones found");
  // The browser says Los Angeles: it comes first.
  await expect(found.locator("option").first()).toHaveText(/America\/Los Angeles.*this device/);
  await page.getByLabel("Time zone", { exact: true }).fill("calcutta");
  await expect(found.locator("option")).toHaveCount(1);
  await expect(found.locator("option").first()).toHaveAttribute("value", PROFILE_ZONE);
  await found.selectOption(PROFILE_ZONE);
  await expect(page.getByText(`Dates are shown and entered in ${PROFILE_ZONE}.`)).toBeVisible();
  await audit("settings zone picker");
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page.getByText("Profile saved")).toBeVisible();
  const me = await api.call<{ timezone: string }>("GET", "/api/v1/users/me");
  expect(me.timezone).toBe(PROFILE_ZONE);
});

test.describe("sign-up", () => {
  // Browsers still report the old name of Kyiv's zone.
  test.use({ signedIn: false, timezoneId: "Europe/Kiev" });

  test("a new account takes the browser's zone, by its current name", async ({ page, newAccount, playwright, baseURL }) => {
    await open(page, "/signup");
    await page.getByLabel("Name").fill(newAccount.name);
    await page.getByLabel("Email").fill(newAccount.email);
    await page.getByLabel("Password").fill(newAccount.password);
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.getByText("All tasks")).toBeVisible();
    const request = await playwright.request.newContext({ baseURL });
    const login = await request.post("/api/v1/auth/login", { data: { email: newAccount.email, password: newAccount.password } });
    const { access_token } = (await login.json()) as { access_token: string };
    const me = await request.get("/api/v1/users/me", { headers: { authorization: `Bearer ${access_token}` } });
    expect(((await me.json()) as { timezone: string }).timezone).toBe("Europe/Kyiv");
    await request.dispose();
  });
});
