// Browser tests: starts the API (temporary SQLite database) serving the built app, drives
// Debian's chromium through playwright-core, checks each screen with axe-core, and saves
// screenshots under test-artifacts/. Run `npm run build` first.
import AxeBuilder from "@axe-core/playwright";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launchBrowser, startApi, WEB } from "./server.mjs";

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

mkdirSync(ARTIFACTS, { recursive: true });
const api = await startApi();
const browser = await launchBrowser();
const account = { email: `e2e-${Date.now()}@example.com`, password: "correct horse battery" };
try {
  await desktop(browser, api.base, account);
  await phone(browser, api.base, account);
} catch {
  // reported by step()
} finally {
  await browser.close();
  api.stop();
}
for (const p of axeProblems) console.log(`axe: ${p}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
