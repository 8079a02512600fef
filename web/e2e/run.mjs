// Browser tests: starts the API (temporary SQLite database) serving the built app, drives
// Debian's chromium through playwright-core, checks each screen with axe-core, and saves
// screenshots under test-artifacts/. Run `npm run build` first.
import AxeBuilder from "@axe-core/playwright";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ApiClient, launchBrowser, startApi, WEB } from "./server.mjs";

const ARTIFACTS = join(WEB, "test-artifacts");

let passed = 0;
let failed = 0;
const axeProblems = [];

async function step(name, fn) {
  const started = Date.now();
  try {
    await fn();
    passed += 1;
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    failed += 1;
    console.log(`FAIL ${name}: ${error.message.split("\n")[0]}`);
    throw error;
  }
}

async function audit(page, screen) {
  // Colours fade (transition-colors) after a theme switch or a hover: judge the settled page,
  // not a frame in between.
  await page.evaluate(() =>
    Promise.all(document.getAnimations().map((animation) => animation.finished.catch(() => undefined))),
  );
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  for (const v of bad) {
    axeProblems.push(`${screen}: ${v.id} (${v.impact}) ${v.nodes.length} node(s)`);
    for (const n of v.nodes.slice(0, 5)) axeProblems.push(`  ${n.target.join(" ")}: ${n.failureSummary?.split("\n")[1] ?? ""}`);
  }
  if (bad.length) throw new Error(`axe: ${bad.map((v) => v.id).join(", ")} on ${screen}`);
}

async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

const row = (page, title) => page.getByRole("list", { name: "Tasks" }).getByRole("listitem").filter({ hasText: title });
const nav = (page, name) =>
  page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true }).click();
const patched = (page, status) =>
  page.waitForResponse((r) => r.url().includes("/api/v1/tasks/") && r.request().method() === "PATCH" && r.status() === status);

/** No skeleton or loading placeholder left on the page. */
async function loaded(page) {
  await page.waitForFunction(() => !document.querySelector('.animate-pulse, [role="status"][aria-label^="Loading"]'));
}

/** Waits until the element's class list does (or does not) contain `name`. */
async function hasClass(locator, name, wanted = true) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const classes = ((await locator.getAttribute("class")) ?? "").split(/\s+/);
    if (classes.includes(name) === wanted) return;
    if (Date.now() > deadline) throw new Error(`class ${name} ${wanted ? "never appeared" : "stayed"}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function desktop(browser, base, account) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(8000);

  await step("sign up", async () => {
    await page.goto(`${base}/signup`);
    await page.getByLabel("Name").waitFor();
    await audit(page, "signup");
    await shot(page, "signup");
    await page.getByLabel("Name").fill("Erin Example");
    await page.getByLabel("Email").fill(account.email);
    await page.getByLabel("Password").fill(account.password);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
  });

  await step("dashboard quick add", async () => {
    await page.getByLabel("Quick add a task").fill("Write the quarterly report");
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await page.getByText("Task added").waitFor();
    await page.getByText("All tasks").waitFor();
    await audit(page, "dashboard");
    await shot(page, "dashboard");
  });

  await step("create with the n shortcut", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Tasks", exact: true }).click();
    await row(page, "Write the quarterly report").waitFor();
    await page.keyboard.press("n");
    const dialog = page.getByRole("dialog", { name: "New task" });
    await dialog.getByLabel("Title").fill("Plan the sprint");
    await dialog.getByLabel("Priority").selectOption("high");
    await dialog.getByLabel("Tags").fill("work, planning");
    await audit(page, "new task dialog");
    await dialog.getByRole("button", { name: "Create task" }).click();
    await row(page, "Plan the sprint").waitFor();
  });

  await step("edit in the dialog", async () => {
    await page.getByRole("button", { name: "Plan the sprint", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Edit task" });
    await dialog.getByLabel("Title").fill("Plan sprint 12");
    await dialog.getByRole("button", { name: "Save changes" }).click();
    await row(page, "Plan sprint 12").waitFor();
  });

  await step("search with the / shortcut", async () => {
    await page.keyboard.press("/");
    await page.keyboard.type("sprint");
    await page.waitForURL(/q=sprint/);
    await page.getByRole("list", { name: "Tasks" }).getByRole("listitem").first().waitFor();
    const count = await page.getByRole("list", { name: "Tasks" }).getByRole("listitem").count();
    if (count !== 1) throw new Error(`expected 1 result, got ${count}`);
    await page.getByRole("button", { name: "Clear filters" }).click();
    await row(page, "Write the quarterly report").waitFor();
  });

  await step("filter by priority", async () => {
    await page.getByRole("button", { name: "High", exact: true }).click();
    await page.waitForURL(/priority=high/);
    await row(page, "Write the quarterly report").waitFor({ state: "detached" });
    await row(page, "Plan sprint 12").waitFor();
    await audit(page, "tasks");
    await shot(page, "tasks");
    await page.getByRole("button", { name: "Clear filters" }).click();
  });

  await step("complete inline", async () => {
    const saved = page.waitForResponse((r) => r.url().includes("/api/v1/tasks/") && r.request().method() === "PATCH");
    await page.getByLabel("Status of “Write the quarterly report”").selectOption("done");
    await saved;
  });

  await step("delete and undo", async () => {
    await page.getByRole("button", { name: "Delete “Write the quarterly report”" }).click();
    await row(page, "Write the quarterly report").waitFor({ state: "detached" });
    await page.getByRole("button", { name: "Undo" }).click();
    await row(page, "Write the quarterly report").waitFor();
    await page.reload();
    await row(page, "Write the quarterly report").waitFor();
  });

  const api = await new ApiClient(base).login(account.email, account.password);

  await step("412 conflict: the newer version is shown and the change re-applied", async () => {
    await api.call("POST", "/api/v1/tasks", { title: "Call the plumber", tags: ["home"] });
    await api.call("POST", "/api/v1/tasks", { title: "Renew the car insurance" });
    await page.reload();
    await row(page, "Call the plumber").waitFor();
    // Behind the UI's back: the list still holds version 1.
    const task = await api.findTask("Call the plumber");
    await api.call("PATCH", `/api/v1/tasks/${task.id}`, { priority: "urgent" });
    await page.getByRole("button", { name: "Call the plumber", exact: true }).click();
    const editor = page.getByRole("dialog", { name: "Edit task" });
    await editor.getByLabel("Title").fill("Call the plumber about the leak");
    const refused = patched(page, 412);
    await editor.getByRole("button", { name: "Save changes" }).click();
    await refused;
    const conflict = page.getByRole("dialog", { name: "Someone changed this task" });
    await conflict.getByText("Urgent", { exact: true }).waitFor();
    await conflict.getByText("Title → Call the plumber about the leak").waitFor();
    await row(page, "Call the plumber").getByText("Urgent").waitFor();
    await audit(page, "conflict dialog");
    await shot(page, "conflict");
    const applied = patched(page, 200);
    await conflict.getByRole("button", { name: "Re-apply my change" }).click();
    await applied;
    await page.getByText("Your change was applied").waitFor();
    await row(page, "Call the plumber about the leak").getByText("Urgent").waitFor();
    const fresh = await api.call("GET", `/api/v1/tasks/${task.id}`);
    if (fresh.title !== "Call the plumber about the leak" || fresh.priority !== "urgent" || fresh.version !== 3) {
      throw new Error(`server holds ${JSON.stringify({ title: fresh.title, priority: fresh.priority, version: fresh.version })}`);
    }
  });

  await step("optimistic status change rolled back when the API refuses it", async () => {
    const task = await api.findTask("Renew the car insurance");
    await api.call("DELETE", `/api/v1/tasks/${task.id}`);
    // The PATCH goes to the real API (a 404 now); its answer is held until the optimistic state
    // has been seen.
    let release;
    const gate = new Promise((r) => (release = r));
    const hold = async (route) => {
      if (route.request().method() !== "PATCH") return route.fallback();
      const response = await route.fetch();
      await gate;
      return route.fulfill({ response });
    };
    await page.route("**/api/v1/tasks/*", hold);
    try {
      const title = page.getByRole("button", { name: "Renew the car insurance", exact: true });
      const status = page.getByLabel("Status of “Renew the car insurance”");
      const refused = patched(page, 404);
      await status.selectOption("done");
      await hasClass(title, "line-through");
      release();
      await refused;
      await page.getByRole("alert").filter({ hasText: "Not saved" }).waitFor();
      await hasClass(title, "line-through", false);
      const value = await status.inputValue();
      if (value !== "todo") throw new Error(`status shows ${value} after the rollback`);
    } finally {
      release();
      await page.unroute("**/api/v1/tasks/*", hold);
    }
  });

  await step("board drag and keyboard move", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Board", exact: true }).click();
    const card = page.locator("[data-task-id]").filter({ hasText: "Plan sprint 12" });
    await card.waitFor();
    const saved = page.waitForResponse((r) => r.url().includes("/api/v1/tasks/") && r.request().method() === "PATCH");
    await card.dragTo(page.locator('[data-column="in_progress"]'));
    await page.locator('[data-column="in_progress"]').getByText("Plan sprint 12").waitFor();
    await saved;
    const moved = page.locator('[data-column="in_progress"] [data-task-id]').filter({ hasText: "Plan sprint 12" });
    await moved.focus();
    await page.keyboard.press("ArrowRight");
    await page.locator('[data-column="done"]').getByText("Plan sprint 12").waitFor();
    await audit(page, "board");
    await shot(page, "board");
  });

  await step("profile and theme", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings", exact: true }).click();
    await page.getByLabel("Name").fill("Erin Q. Example");
    await page.getByRole("button", { name: "Save profile" }).click();
    await page.getByText("Profile saved").waitFor();
    await page.getByLabel("Dark").check();
    await page.waitForFunction(() => document.documentElement.classList.contains("dark"));
    await audit(page, "settings (dark)");
    await shot(page, "settings-dark");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard", exact: true }).click();
    await page.getByText("All tasks").waitFor();
    await audit(page, "dashboard (dark)");
    await shot(page, "dashboard-dark");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings", exact: true }).click();
    await page.getByLabel("Light").check();
    await page.waitForFunction(() => !document.documentElement.classList.contains("dark"));
    // The dark pass below relies on the account following the system.
    const saved = page.waitForResponse((r) => r.url().endsWith("/api/v1/users/me") && r.request().method() === "PATCH");
    await page.getByLabel("Follow the system").check();
    await saved;
  });

  await step("help, 404 and log out", async () => {
    await page.keyboard.press("?");
    await page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor();
    await page.keyboard.press("Escape");
    await page.goto(`${base}/no/such/page`);
    await page.getByRole("heading", { name: "This page does not exist" }).waitFor();
    await audit(page, "404");
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("heading", { name: "Log in" }).waitFor();
    await audit(page, "login");
    await shot(page, "login");
  });

  await step("log in again; the session survives a reload", async () => {
    await page.getByLabel("Email").fill(account.email);
    await page.getByLabel("Password").fill(account.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
    await page.reload();
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
  });
  await context.close();
}

async function phone(browser, base, account) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  page.setDefaultTimeout(8000);
  await step("390x844: log in, create, complete, log out", async () => {
    await page.goto(`${base}/tasks`);
    await page.getByLabel("Email").fill(account.email);
    await page.getByLabel("Password").fill(account.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(/\/tasks$/);
    await page.getByRole("button", { name: "New task" }).click();
    const dialog = page.getByRole("dialog", { name: "New task" });
    await dialog.getByLabel("Title").fill("Buy milk");
    await dialog.getByRole("button", { name: "Create task" }).click();
    await row(page, "Buy milk").waitFor();
    await page.getByLabel("Status of “Buy milk”").selectOption("done");
    await audit(page, "tasks (phone)");
    await shot(page, "phone-tasks");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    if (overflow) throw new Error("the page scrolls sideways at 390px");
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("heading", { name: "Log in" }).waitFor();
  });
  await context.close();
}

/**
 * Visits every screen, calling `check(name)` on each once it has loaded: log in and sign up,
 * then (logged in) dashboard, shortcuts help, tasks, new-task and edit dialogs, board,
 * settings and the 404 page.
 */
async function everyScreen(page, base, account, check) {
  await page.goto(`${base}/login`);
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  await check("login");
  await page.getByRole("link", { name: "Create an account" }).click();
  await page.getByLabel("Name").waitFor();
  await check("signup");
  await page.goto(`${base}/login`);
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByText("All tasks").waitFor();
  await loaded(page);
  await check("dashboard");
  await page.keyboard.press("?");
  await page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor();
  await check("shortcuts help");
  await page.keyboard.press("Escape");
  await nav(page, "Tasks");
  await page.getByRole("list", { name: "Tasks" }).waitFor();
  await loaded(page);
  await check("tasks");
  await page.keyboard.press("n");
  await page.getByRole("dialog", { name: "New task" }).waitFor();
  await check("new task dialog");
  await page.keyboard.press("Escape");
  await page.getByRole("list", { name: "Tasks" }).getByRole("listitem").first().getByRole("button").first().click();
  await page.getByRole("dialog", { name: "Edit task" }).waitFor();
  await check("edit dialog");
  await page.keyboard.press("Escape");
  await nav(page, "Board");
  await page.locator('[data-column="done"]').waitFor();
  await loaded(page);
  await check("board");
  await nav(page, "Settings");
  await page.getByRole("heading", { name: "Profile" }).waitFor();
  await check("settings");
  await page.goto(`${base}/no/such/page`);
  await page.getByRole("heading", { name: "This page does not exist" }).waitFor();
  await check("404");
}

async function dark(browser, base, account) {
  // The account follows the system, and the system prefers dark.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: "dark" });
  const page = await context.newPage();
  page.setDefaultTimeout(8000);
  await step("dark theme: axe on every screen", async () => {
    await everyScreen(page, base, account, async (screen) => {
      const isDark = await page.evaluate(() => document.documentElement.classList.contains("dark"));
      if (!isDark) throw new Error(`${screen} is not dark`);
      await audit(page, `${screen} (dark)`);
    });
  });
  await step("dark theme: conflict dialog, keep the newer version", async () => {
    const api = await new ApiClient(base).login(account.email, account.password);
    await nav(page, "Tasks");
    await row(page, "Plan sprint 12").waitFor();
    const task = await api.findTask("Plan sprint 12");
    await api.call("PATCH", `/api/v1/tasks/${task.id}`, { tags: ["work", "planning", "q4"] });
    const refused = patched(page, 412);
    await page.getByLabel("Status of “Plan sprint 12”").selectOption("in_progress");
    await refused;
    const conflict = page.getByRole("dialog", { name: "Someone changed this task" });
    await conflict.getByText("work, planning, q4").waitFor();
    await audit(page, "conflict dialog (dark)");
    await shot(page, "conflict-dark");
    await conflict.getByRole("button", { name: "Keep the newer version" }).click();
    await row(page, "Plan sprint 12").getByText("#q4").waitFor();
    const value = await page.getByLabel("Status of “Plan sprint 12”").inputValue();
    if (value !== task.status) throw new Error(`status shows ${value}, the server has ${task.status}`);
  });
  await context.close();
}

async function narrow(browser, base, account) {
  const width = 360;
  const context = await browser.newContext({ viewport: { width, height: 740 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  page.setDefaultTimeout(8000);
  await step("360 px: no sideways scrolling on any screen", async () => {
    const wide = [];
    await everyScreen(page, base, account, async (screen) => {
      // Compared with the device width: a mobile browser widens its layout viewport to fit.
      const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      if (scrollWidth > width) wide.push(`${screen} (${scrollWidth} px)`);
    });
    await shot(page, "narrow-404");
    if (wide.length) throw new Error(`wider than ${width} px: ${wide.join(", ")}`);
  });
  await context.close();
}

mkdirSync(ARTIFACTS, { recursive: true });
// Every browser context logs in from the same loopback address within a minute or so: the
// auth limits are raised here (the Python suite tests the real ones).
const api = await startApi({
  TASKLANE_RATE_LIMIT_AUTH_ADDRESS: "600/minute",
  TASKLANE_RATE_LIMIT_AUTH_ACCOUNT: "100/minute",
});
const browser = await launchBrowser();
const account = { email: `e2e-${Date.now()}@example.com`, password: "correct horse battery" };
try {
  await desktop(browser, api.base, account);
  await phone(browser, api.base, account);
  await dark(browser, api.base, account);
  await narrow(browser, api.base, account);
} catch {
  // reported by step()
} finally {
  await browser.close();
  api.stop();
}
for (const p of axeProblems) console.log(`axe: ${p}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
