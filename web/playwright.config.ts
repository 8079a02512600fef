// Browser tests: Playwright's runner drives Debian's Chromium (never a downloaded browser)
// against the built app, which the API serves from a temporary SQLite database started once
// in e2e/global-setup.ts. Run `npm run build` first (`make e2e` does).
import { defineConfig } from "@playwright/test";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export default defineConfig({
  testDir: "./e2e",
  testMatch: "**/*.spec.ts",
  outputDir: "./test-artifacts/results",
  globalSetup: "./e2e/global-setup.ts",
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  // One retry: a test that passes only on its second try is reported as flaky in the closing
  // line (e2e/summary-reporter.ts), so a timing slip on a loaded machine is seen, not hidden.
  retries: 1,
  // Half the cores (`npm run e2e -- --workers=N` to change): each worker drives its own
  // Chromium against the one API process.
  workers: "50%",
  reporter: [["list"], ["./e2e/summary-reporter.ts"]],
  timeout: 60_000,
  expect: { timeout: 8_000 },
  use: {
    browserName: "chromium",
    viewport: { width: 1280, height: 900 },
    actionTimeout: 8_000,
    navigationTimeout: 15_000,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
      ],
    },
  },
});
