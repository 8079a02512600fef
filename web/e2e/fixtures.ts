// The fixtures every browser test builds on: a fresh account per test (so one failure leaves
// the others alone), an API client for arranging things behind the UI's back, a browser that
// starts signed in unless the test says otherwise, and the accessibility check.
import AxeBuilder from "@axe-core/playwright";
import { test as base, expect, type APIRequestContext, type Page } from "@playwright/test";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { ARTIFACTS } from "./paths";

export interface Account {
  name: string;
  email: string;
  password: string;
}

export interface TaskOut {
  id: string;
  title: string;
  status: "todo" | "in_progress" | "done";
  priority: "low" | "medium" | "high" | "urgent";
  tags: string[];
  version: number;
}

/** The API as the test's user, with a bearer token. */
export class Api {
  constructor(private readonly request: APIRequestContext) {}

  async call<T = unknown>(method: string, path: string, data?: unknown): Promise<T> {
    const response = await this.request.fetch(path, { method, ...(data === undefined ? {} : { data }) });
    const text = await response.text();
    if (!response.ok()) throw new Error(`${method} ${path}: ${response.status()} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  createTask(body: { title: string } & Record<string, unknown>): Promise<TaskOut> {
    return this.call<TaskOut>("POST", "/api/v1/tasks", body);
  }

  /** The task titled so, waiting a little for a save the page has just sent. */
  async findTask(title: string): Promise<TaskOut> {
    for (let attempt = 0; ; attempt += 1) {
      const page = await this.call<{ items: TaskOut[] }>("GET", "/api/v1/tasks?limit=100");
      const task = page.items.find((t) => t.title === title);
      if (task) return task;
      if (attempt >= 50) throw new Error(`no task titled “${title}”`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function freshCredentials(): Account {
  return { name: "Erin Example", email: `e2e-${randomUUID()}@example.com`, password: "correct horse battery" };
}

interface Fixtures {
  /** Whether the browser starts signed in as `account` (from the refresh cookie). */
  signedIn: boolean;
  /** Credentials nobody has registered yet. */
  newAccount: Account;
  /** A registered account of this test's own. */
  account: Account;
  api: Api;
  /** Fails the test on any serious or critical axe-core violation on the page as it is. */
  audit: (screen: string) => Promise<void>;
  /** Saves a picture of the whole page under test-artifacts/. */
  shot: (name: string) => Promise<void>;
}

export const test = base.extend<Fixtures>({
  signedIn: [true, { option: true }],

  baseURL: async ({ baseURL }, use) => {
    const started = process.env.TASKLANE_E2E_BASE_URL;
    if (!started) throw new Error("the API was not started: run through playwright.config.ts");
    await use(baseURL ?? started);
  },

  // eslint-disable-next-line no-empty-pattern
  newAccount: async ({}, use) => {
    await use(freshCredentials());
  },

  account: async ({ playwright, baseURL }, use) => {
    const account = freshCredentials();
    const request = await playwright.request.newContext({ baseURL });
    const response = await request.post("/api/v1/auth/register", { data: account });
    expect(response.status(), await response.text()).toBe(201);
    await request.dispose();
    await use(account);
  },

  api: async ({ account, playwright, baseURL }, use) => {
    const login = await playwright.request.newContext({ baseURL });
    const body = (await (
      await login.post("/api/v1/auth/login", { data: { email: account.email, password: account.password } })
    ).json()) as { access_token: string };
    await login.dispose();
    const request = await playwright.request.newContext({
      baseURL,
      extraHTTPHeaders: { authorization: `Bearer ${body.access_token}` },
    });
    await use(new Api(request));
    await request.dispose();
  },

  // Signed in: a login of its own leaves its refresh cookie in the browser's storage state, and
  // the app's silent sign-in picks it up. Each test's cookie is fresh (refresh tokens rotate).
  storageState: async ({ signedIn, storageState, playwright, baseURL, account }, use) => {
    if (!signedIn) {
      await use(storageState);
      return;
    }
    const request = await playwright.request.newContext({ baseURL });
    const response = await request.post("/api/v1/auth/login", {
      data: { email: account.email, password: account.password },
    });
    expect(response.ok(), await response.text()).toBe(true);
    const state = await request.storageState();
    await request.dispose();
    await use(state);
  },

  audit: async ({ page }, use, testInfo) => {
    await use(async (screen) => {
      // Colours fade (transition-colors) after a theme switch or a hover: judge the settled
      // page, not a frame in between.
      await page.evaluate(() =>
        Promise.all(document.getAnimations().map((animation) => animation.finished.catch(() => undefined))),
      );
      const result = await new AxeBuilder({ page }).analyze();
      const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      const lines = bad.flatMap((v) => [
        `${screen}: ${v.id} (${String(v.impact)}) ${v.nodes.length} node(s)`,
        ...v.nodes.slice(0, 5).map((n) => `  ${n.target.join(" ")}: ${n.failureSummary?.split("\n")[1] ?? ""}`),
      ]);
      if (bad.length) {
        await testInfo.attach(`axe-${screen}`, { body: JSON.stringify(bad, null, 2), contentType: "application/json" });
      }
      expect(lines, `axe on ${screen}`).toEqual([]);
    });
  },

  shot: async ({ page }, use) => {
    await use(async (name) => {
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    });
  },
});

export { expect };

// ---------------------------------------------------------------------------------------------
// Small helpers for the app's screens.

export const row = (page: Page, title: string) =>
  page.getByRole("list", { name: "Tasks" }).getByRole("listitem").filter({ hasText: title });

export const nav = (page: Page, name: string) =>
  page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true }).click();

/** The answer to the next PATCH of a task with this status code. */
export const patched = (page: Page, status: number) =>
  page.waitForResponse(
    (r) => r.url().includes("/api/v1/tasks/") && r.request().method() === "PATCH" && r.status() === status,
  );

/** No skeleton or loading placeholder left on the page. */
export async function loaded(page: Page): Promise<void> {
  await page.waitForFunction(() => !document.querySelector('.animate-pulse, [role="status"][aria-label^="Loading"]'));
}

export async function logIn(page: Page, account: Account): Promise<void> {
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Log in" }).click();
}

/**
 * Visits every screen, calling `check(name)` on each once it has loaded: log in, sign up, forgot
 * and reset password, then (logged in through the form) dashboard, today, upcoming, the notifications list,
 * shortcuts help, tasks, new-task and edit dialogs, board, settings and the 404 page. The account needs a task for the edit dialog.
 */
export async function everyScreen(page: Page, account: Account, check: (screen: string) => Promise<void>) {
  await page.goto("/login");
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  await check("login");
  await page.getByRole("link", { name: "Create an account" }).click();
  await page.getByLabel("Name").waitFor();
  await check("signup");
  await page.goto("/login");
  await page.getByRole("link", { name: "Forgot password?" }).click();
  await page.getByRole("heading", { name: "Forgot your password?" }).waitFor();
  await check("forgot password");
  await page.goto("/reset-password#token=not-a-real-one");
  await page.getByLabel("Confirm new password").waitFor();
  await check("reset password");
  await page.goto("/reset-password");
  await page.getByRole("link", { name: "Forgot password" }).waitFor();
  await check("reset password (no token)");
  await page.goto("/login");
  await logIn(page, account);
  await page.getByText("All tasks").waitFor();
  await loaded(page);
  await check("dashboard");
  await nav(page, "Today");
  await page.getByRole("heading", { name: "Today", level: 1 }).waitFor();
  await loaded(page);
  await check("today");
  await nav(page, "Upcoming");
  await page.getByRole("heading", { name: "Upcoming", level: 1 }).waitFor();
  await loaded(page);
  await check("upcoming");
  await page.getByRole("button", { name: /^Notifications/ }).click();
  await page.getByText("Nothing yet.").waitFor();
  await check("notifications");
  await page.keyboard.press("Escape");
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
  await page.locator("[data-column]:visible").first().waitFor(); // a phone shows one column at a time
  await loaded(page);
  await check("board");
  await nav(page, "Settings");
  await page.getByRole("heading", { name: "Profile" }).waitFor();
  await check("settings");
  await page.goto("/no/such/page");
  await page.getByRole("heading", { name: "This page does not exist" }).waitFor();
  await check("404");
}

/** The round checkbox that completes a task in one click. */
export const doneBox = (page: Page, title: string) => page.getByRole("checkbox", { name: `Complete “${title}”` });

/** Opens a task's row menu and picks an item ("Delete", "Edit", or a status as a menu radio). */
export async function rowAction(page: Page, title: string, item: string): Promise<void> {
  await page.getByRole("button", { name: `Actions for “${title}”` }).click();
  const menu = page.getByRole("menu", { name: `Actions for “${title}”` });
  await menu.getByRole(item === "Delete" || item === "Edit" ? "menuitem" : "menuitemradio", { name: item }).click();
}
