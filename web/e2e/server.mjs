// Shared by the browser tests (global-setup.ts) and the screenshot script (screenshots.mjs):
// starts the API on a free loopback port over a temporary SQLite database, serving the built
// app; the screenshot script also launches Debian's chromium from here.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "@playwright/test";

export const WEB = resolve(import.meta.dirname, "..");
export const ROOT = resolve(WEB, "..");
const TASKLANE = process.env.TASKLANE_BIN ?? join(ROOT, ".venv", "bin", "tasklane");
export const PYTHON = process.env.TASKLANE_PYTHON ?? join(ROOT, ".venv", "bin", "python");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

/**
 * Migrates a fresh SQLite database in a temporary directory and starts one in-process uvicorn
 * worker on the app factory, as `tasklane serve` runs it. `env` adds or overrides settings.
 * Returns { base, database, mailDir, stop }.
 */
// TASKLANE_E2E_DIST: a build elsewhere than web/dist (to test one build while another is made).
const DIST = process.env.TASKLANE_E2E_DIST ?? join(WEB, "dist");

export async function startApi(env = {}) {
  if (!existsSync(join(DIST, "index.html"))) throw new Error("no build: run `npm run build` first");
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "tasklane-e2e-"));
  const database = join(dir, "e2e.db");
  const base = `http://127.0.0.1:${port}`;
  const varDir = join(dir, "var");
  const fullEnv = {
    ...process.env,
    TASKLANE_DATABASE_URL: `sqlite+aiosqlite:///${database}`,
    TASKLANE_VAR_DIR: varDir,
    TASKLANE_WEB_DIST_DIR: DIST,
    TASKLANE_REFRESH_COOKIE_SECURE: "true",
    // Emailed links point at the app under test; the embedded worker sends them (no SMTP:
    // written to var/mail as .eml files) and fires reminders.
    TASKLANE_PUBLIC_BASE_URL: base,
    TASKLANE_WORKER_EMBEDDED: "true",
    ...env,
  };
  if (!("TASKLANE_SMTP_URL" in env)) delete fullEnv.TASKLANE_SMTP_URL;
  const migrate = spawnSync(TASKLANE, ["migrate"], { cwd: dir, env: fullEnv, encoding: "utf8" });
  if (migrate.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`migrate failed:\n${migrate.stderr}`);
  }
  const child = spawn(
    PYTHON,
    ["-m", "uvicorn", "tasklane.app:create_app", "--factory", "--host", "127.0.0.1", "--port", String(port)],
    { cwd: dir, env: fullEnv, stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr.on("data", (d) => (log += d));
  const stop = () => {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 120; i += 1) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`${base}/readyz`)).ok) {
        return { base, database, mailDir: join(varDir, "mail"), stop, log: () => log };
      }
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  stop();
  throw new Error(`API did not start:\n${log}`);
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
}

/** A small JSON client for arranging things behind the UI's back. */
export class ApiClient {
  constructor(base) {
    this.base = base;
    this.token = null;
  }

  async login(email, password) {
    const body = await this.call("POST", "/api/v1/auth/login", { email, password });
    this.token = body.access_token;
    return this;
  }

  async call(method, path, body, headers = {}) {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  async findTask(title) {
    const page = await this.call("GET", `/api/v1/tasks?limit=100`);
    const task = page.items.find((t) => t.title === title);
    if (!task) throw new Error(`no task titled “${title}”`);
    return task;
  }
}
