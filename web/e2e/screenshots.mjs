// `npm run screenshots`: builds the app, starts the API over a temporary SQLite database, fills
// a demo account with realistic tasks and saves every screen, light and dark, as
// docs/screenshots/<screen>-<theme>.png. Dates are relative to today (the API computes overdue,
// due today and the completions chart from the real clock), so the pictures change from day to
// day but not from run to run on one day.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { ApiClient, launchBrowser, PYTHON, ROOT, startApi } from "./server.mjs";

// SCREENSHOTS_DIR: somewhere else (to try the script without touching the committed pictures).
const OUT = process.env.SCREENSHOTS_DIR ?? join(ROOT, "docs", "screenshots");
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const THEMES = ["light", "dark"];
const ACCOUNT = { name: "Alex Morgan", email: "alex@example.com", password: "correct horse battery staple" };

// ---------------------------------------------------------------------------------------------
// Demo data. Times are UTC, the account's and the browser's time zone alike.

const DAY = 86_400_000;
const now = new Date();
const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
/** `days` from today (negative: the past) at hh:mm UTC. */
const at = (days, hh, mm = 0) => new Date(midnight + days * DAY + (hh * 60 + mm) * 60_000);
/** Later today: hh:00 if that is still ahead, else `spare` minutes from now (at most 23:59). */
function laterToday(hh, spare) {
  const wanted = at(0, hh);
  if (wanted.getTime() > now.getTime() + 30 * 60_000) return wanted;
  const quarter = 15 * 60_000;
  const next = Math.ceil((now.getTime() + spare * 60_000) / quarter) * quarter;
  return new Date(Math.min(next, midnight + DAY - 60_000));
}

// created: days ago the task was created; done: days ago it was completed (status done).
const TASKS = [
  { title: "Clean out the garage", priority: "low", tags: ["home"], created: 20, done: 12 },
  { title: "Call the insurance company about the claim", priority: "medium", tags: ["admin", "home"], created: 18, done: 8 },
  {
    title: "Plan the team offsite agenda",
    priority: "medium",
    tags: ["work", "planning"],
    created: 16,
    due: at(9, 10),
    description: "Two days, max 20 people. Ask Priya about the budget before booking anything.",
  },
  { title: "Order a new laptop charger", priority: "low", tags: ["errands"], created: 15, done: 5 },
  { title: "Read “Designing Data-Intensive Applications”, ch. 7", priority: "low", status: "in_progress", tags: ["reading", "learning"], created: 14 },
  { title: "Fix the flaky login test", priority: "urgent", tags: ["work", "bug"], created: 12, done: 3 },
  { title: "Renew passport", priority: "urgent", tags: ["admin", "travel"], created: 11, due: at(-3, 9) },
  { title: "Update the onboarding checklist", priority: "medium", tags: ["work", "admin"], created: 10, done: 1 },
  { title: "Draft blog post: scaling SQLite reads", priority: "medium", tags: ["writing"], created: 9, due: at(6, 12) },
  { title: "Book a dentist appointment", priority: "low", tags: ["health"], created: 8, due: at(3, 9, 30) },
  { title: "Pay the electricity bill", priority: "high", tags: ["home", "finance"], created: 7, due: at(-1, 18) },
  { title: "Review pull request #482: keyset pagination", priority: "medium", status: "in_progress", tags: ["work", "code-review"], created: 5, due: laterToday(15, 30) },
  { title: "Water the plants", priority: "low", tags: ["home"], created: 4 },
  { title: "File the expense report", priority: "high", tags: ["work", "finance"], created: 4, done: 0 },
  { title: "Buy a birthday present for Sam", priority: "high", tags: ["family", "errands"], created: 3, due: at(2, 17) },
  { title: "Send the release notes for 2.4", priority: "medium", tags: ["work"], created: 3, done: 1 },
  { title: "Reply to the landlord", priority: "medium", tags: ["home"], created: 6, done: 3 },
  {
    title: "Prepare the Q4 board presentation",
    priority: "high",
    status: "in_progress",
    tags: ["work", "slides"],
    created: 2,
    due: laterToday(17, 150),
    description: "Revenue, churn and the hiring plan. Send the draft to Dana for a first read by noon.",
  },
];

// [tag, project name, colour]: the demo's projects, in the sidebar's order.
const PROJECTS = [
  ["work", "Work", "#4f46e5"],
  ["home", "Home", "#16a34a"],
  ["family", "Family", "#db2777"],
];

/** The SQLite text format of UTCDateTime: naive UTC with microseconds. */
const sqliteTime = (date) => `${date.toISOString().slice(0, 23).replace("T", " ")}000`;

async function seedDemo(base, database) {
  const api = new ApiClient(base);
  await api.call("POST", "/api/v1/auth/register", ACCOUNT);
  await api.login(ACCOUNT.email, ACCOUNT.password);
  await api.call("PATCH", "/api/v1/users/me", { timezone: "UTC", preferences: { theme: "system" } });
  // Projects for the sidebar: a task goes into the first whose tag it has, else the Inbox.
  const projects = {};
  for (const [tag, name, colour] of PROJECTS) {
    projects[tag] = (await api.call("POST", "/api/v1/projects", { name, colour })).id;
  }
  const backdate = [];
  for (const [i, t] of TASKS.entries()) {
    const tag = t.tags.find((x) => projects[x]);
    await api.call("POST", "/api/v1/tasks", {
      ...(tag ? { project_id: projects[tag] } : {}),
      title: t.title,
      description: t.description ?? null,
      status: t.done === undefined ? (t.status ?? "todo") : "done",
      priority: t.priority,
      due_at: t.due ? t.due.toISOString() : null,
      tags: t.tags,
    });
    // Spread creation (and completion) over the last weeks, in list order, at office hours.
    const created = at(-t.created, 8 + (i % 9), (i * 7) % 60);
    const completed = t.done === undefined ? null : at(-t.done, 9 + ((i * 5) % 8), (i * 11) % 60);
    const stamp = completed && completed > now ? new Date(now.getTime() - 5 * 60_000) : completed;
    backdate.push([t.title, sqliteTime(created), stamp ? sqliteTime(stamp) : null]);
  }
  // The API stamps "now"; the chart needs completions on earlier days, so the demo rewrites the
  // timestamps in the database (before anything has read the dashboard counts, which are cached).
  const script = `
import json, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
for title, created, completed in json.loads(sys.argv[2]):
    con.execute("UPDATE tasks SET created_at = ?, updated_at = COALESCE(?, ?), completed_at = ? WHERE title = ?",
                (created, completed, created, completed, title))
con.commit()
`;
  const run = spawnSync(PYTHON, ["-c", script, database, JSON.stringify(backdate)], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`backdating failed:\n${run.stderr}`);
}

// ---------------------------------------------------------------------------------------------
// Taking the pictures.

/** Counts requests in flight so a screen can wait until the network has been quiet a while. */
function watchNetwork(page) {
  const inFlight = new Set();
  let changed = Date.now();
  page.on("request", (request) => {
    inFlight.add(request);
    changed = Date.now();
  });
  const done = (request) => {
    inFlight.delete(request);
    changed = Date.now();
  };
  // A response counts: the app leaves some error bodies unread (a 401 from the silent refresh),
  // and chromium never reports those requests finished.
  page.on("response", (response) => done(response.request()));
  page.on("requestfinished", done);
  page.on("requestfailed", done);
  return async (quietMs = 400) => {
    const deadline = Date.now() + 15_000;
    while (inFlight.size > 0 || Date.now() - changed < quietMs) {
      if (Date.now() > deadline) {
        throw new Error(`network still busy: ${[...inFlight].map((r) => `${r.method()} ${r.url()}`).join(", ")}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
}

/** Network quiet, no skeleton, no toast, fonts loaded, pointer out of the way. */
async function settle(page) {
  await page.networkQuiet();
  await page.waitForFunction(
    () => !document.querySelector('.animate-pulse, [role="status"][aria-label^="Loading"]'),
    undefined,
    { timeout: 10_000 },
  );
  for (const close of await page.getByRole("button", { name: "Dismiss notification" }).all()) {
    await close.click();
  }
  await page.waitForFunction(() => !document.querySelector('[aria-label="Notifications"] > *'));
  await page.evaluate(() => document.fonts.ready);
  await page.mouse.move(0, 0);
  await page.networkQuiet();
}

const saved = [];
/**
 * Pages whole (they differ in height); dialogs and the phone as the screen shows them (a modal's
 * backdrop covers the viewport only).
 */
async function shot(page, name, theme, fullPage = true) {
  await settle(page);
  const file = join(OUT, `${name}-${theme}.png`);
  await page.screenshot({ path: file, fullPage, animations: "disabled", caret: "hide" });
  saved.push(file);
  console.log(`saved ${name}-${theme}.png`);
}

async function newPage(browser, theme, viewport, phone = false) {
  const context = await browser.newContext({
    viewport,
    deviceScaleFactor: 1,
    colorScheme: theme,
    reducedMotion: "reduce",
    locale: "en-US",
    timezoneId: "UTC",
    ...(phone ? { isMobile: true, hasTouch: true } : {}),
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.networkQuiet = watchNetwork(page);
  return page;
}

async function logIn(page, base, path = "/") {
  await page.goto(`${base}/login?next=${encodeURIComponent(path)}`);
  await page.getByLabel("Email").fill(ACCOUNT.email);
  await page.getByLabel("Password").fill(ACCOUNT.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL((url) => url.pathname === path);
}

const nav = (page, name) =>
  page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true }).click();

async function desktop(browser, base, theme) {
  const page = await newPage(browser, theme, DESKTOP);
  await page.goto(`${base}/login`);
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  await shot(page, "login", theme);
  await page.goto(`${base}/signup`);
  await page.getByLabel("Name").waitFor();
  await shot(page, "signup", theme);

  await logIn(page, base);
  await page.getByText("All tasks").waitFor();
  await shot(page, "dashboard", theme);

  await page.getByLabel("Quick add a task").fill("Call mum tomorrow 9am !high #family");
  await page.getByRole("list", { name: "Understood" }).waitFor();
  await shot(page, "quick-add", theme, false);
  await page.getByLabel("Quick add a task").fill("");

  await nav(page, "Today");
  await page.getByRole("list", { name: "Overdue" }).waitFor();
  await shot(page, "today", theme);

  await nav(page, "Upcoming");
  await page.getByRole("heading", { name: "Upcoming", level: 1 }).waitFor();
  await shot(page, "upcoming", theme);

  await page.keyboard.press("?");
  await page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor();
  await shot(page, "shortcuts", theme, false);
  await page.keyboard.press("Escape");

  await nav(page, "Tasks");
  await page.getByRole("list", { name: "Tasks" }).waitFor();
  await page.getByRole("button", { name: "To do", exact: true }).click();
  await page.getByRole("button", { name: "In progress", exact: true }).click();
  await page.getByLabel("Sort").selectOption("due_at");
  await page.waitForURL(/sort=due_at/);
  await shot(page, "tasks", theme);

  // A project from the sidebar: its tasks, and the projects with their open counts.
  await page.getByRole("navigation", { name: "Projects" }).getByRole("link", { name: "Work", exact: true }).click();
  await page.getByRole("heading", { name: "Work", level: 1 }).waitFor();
  await page.getByRole("list", { name: "Tasks" }).waitFor();
  await shot(page, "project", theme);

  await nav(page, "Tasks");
  await page.getByRole("list", { name: "Tasks" }).waitFor();
  await page.getByRole("button", { name: "Prepare the Q4 board presentation", exact: true }).click();
  await page.getByRole("dialog", { name: "Edit task" }).waitFor();
  await shot(page, "task-edit", theme, false);
  await page.keyboard.press("Escape");

  await nav(page, "Board");
  await page.locator('[data-column="done"] [data-task-id]').first().waitFor();
  await shot(page, "board", theme);

  await nav(page, "Settings");
  await page.getByRole("heading", { name: "Profile" }).waitFor();
  await shot(page, "settings", theme);

  await page.goto(`${base}/no/such/page`);
  await page.getByRole("heading", { name: "This page does not exist" }).waitFor();
  await shot(page, "not-found", theme);
  await page.context().close();
}

async function phone(browser, base, theme) {
  const page = await newPage(browser, theme, PHONE, true);
  await logIn(page, base, "/tasks");
  await page.getByRole("list", { name: "Tasks" }).waitFor();
  await shot(page, "phone-tasks", theme, false);
  await nav(page, "Today");
  await page.getByRole("list", { name: "Overdue" }).waitFor();
  await shot(page, "phone-today", theme, false);
  await nav(page, "Board");
  await page.locator('[data-column="todo"] [data-task-id]').first().waitFor();
  await shot(page, "phone-board", theme, false);
  await page.context().close();
}

mkdirSync(OUT, { recursive: true });
for (const name of readdirSync(OUT)) if (name.endsWith(".png")) rmSync(join(OUT, name));
// Many logins and reloads from one address in a few seconds: no rate limits for the demo.
const api = await startApi({ TASKLANE_RATE_LIMIT_ENABLED: "false" });
const browser = await launchBrowser();
let failed = false;
try {
  await seedDemo(api.base, api.database);
  for (const theme of THEMES) {
    await desktop(browser, api.base, theme);
    await phone(browser, api.base, theme);
  }
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await browser.close();
  api.stop();
}
const bytes = saved.reduce((sum, file) => sum + statSync(file).size, 0);
console.log(`${saved.length} screenshots in ${process.env.SCREENSHOTS_DIR ? OUT : "docs/screenshots/"}, ${Math.round(bytes / 1024)} KB`);
process.exit(failed ? 1 : 0);
